#!/usr/bin/env bash
# A 3-node RabbitMQ cluster on this host, for tests and for trying fail-over (DESIGN §12). It never
# touches the shared broker: its nodes have names, ports, data and an Erlang cookie of their own.
#
#   rabbitmq/cluster.sh up   [--base-port N] [--dir DIR] [--name PREFIX] [--prometheus]
#   rabbitmq/cluster.sh down [--base-port N] [--dir DIR]
#   rabbitmq/cluster.sh status [--base-port N] [--dir DIR]
#
# Node i (1..3) is <PREFIX><i>@localhost (default bat-c1@localhost …) with
#   AMQP on N+i-1 (default N=5701: 5701, 5702, 5703), Erlang distribution on N+10+i-1,
#   and, with --prometheus, rabbitmq_prometheus metrics on N+20+i-1 (off otherwise; no management).
# Everything lives in DIR (default ${TMPDIR:-/tmp}/bat-cluster-N): each node's data and logs, the
# shared cookie in DIR/home/.erlang.cookie (HOME for the nodes and the CLI tools), and pid files.
# `up` prints the AMQP_URL naming all three nodes, and returns once the three are one cluster.
# `down` stops only the nodes whose pid files are in DIR (SIGTERM, then SIGKILL) and deletes DIR.
#
# Quorum queues declared after `up` get a member on every node: RabbitMQ places a new quorum queue on
# min(3, cluster size) nodes unless it is declared with x-quorum-initial-group-size, and the services
# declare none. Queues that existed before a node joined are grown onto it with
# `rabbitmq-queues grow <node> all`.
set -euo pipefail

cmd="${1:-}"
shift || true
base_port=5701
dir=""
prefix="bat-c"
prometheus=0
while [ $# -gt 0 ]; do
  case "$1" in
    --base-port) base_port="$2"; shift 2 ;;
    --dir) dir="$2"; shift 2 ;;
    --name) prefix="$2"; shift 2 ;;
    --prometheus) prometheus=1; shift ;;
    *) echo "cluster.sh: unknown option $1" >&2; exit 2 ;;
  esac
done
dir="${dir:-${TMPDIR:-/tmp}/bat-cluster-${base_port}}"
bin="${RABBITMQ_BIN:-/usr/lib/rabbitmq/bin}"
timeout_s="${CLUSTER_START_TIMEOUT_S:-90}"
nodes=(1 2 3)

say() { echo "cluster.sh: $*" >&2; }

node_name() { echo "${prefix}$1@localhost"; }
amqp_port() { echo $((base_port + $1 - 1)); }
dist_port() { echo $((base_port + 10 + $1 - 1)); }
prom_port() { echo $((base_port + 20 + $1 - 1)); }

port_open() { timeout 2 bash -c "exec 3<>/dev/tcp/127.0.0.1/$1" 2>/dev/null; }

# The environment of node i (the server and the CLI tools talking to it).
node_env() {
  local i="$1" base="$dir/node$i"
  echo HOME="$dir/home" \
    RABBITMQ_NODENAME="$(node_name "$i")" \
    RABBITMQ_NODE_PORT="$(amqp_port "$i")" \
    RABBITMQ_DIST_PORT="$(dist_port "$i")" \
    RABBITMQ_MNESIA_BASE="$base/mnesia" \
    RABBITMQ_LOG_BASE="$base/log" \
    RABBITMQ_ENABLED_PLUGINS_FILE="$base/enabled_plugins" \
    RABBITMQ_CONFIG_FILE="$base/rabbitmq" \
    RABBITMQ_PID_FILE="$base/pid"
}

ctl() { # ctl i rabbitmqctl-args…
  local i="$1"; shift
  env $(node_env "$i") "$bin/rabbitmqctl" -n "$(node_name "$i")" "$@"
}

alive() { [ -n "${1:-}" ] && kill -0 "$1" 2>/dev/null; }
pid_of() { [ -f "$dir/node$1/pid" ] && cat "$dir/node$1/pid" 2>/dev/null || true; }

# Waits until node i answers and runs RabbitMQ (await_startup fails while the VM is not up yet).
await_node() {
  local i="$1" deadline=$((SECONDS + timeout_s))
  until ctl "$i" await_startup --timeout 10 > /dev/null 2>&1; do
    if [ $SECONDS -ge $deadline ]; then
      say "node $(node_name "$i") did not start; see $dir/node$i/log"
      down_nodes
      exit 1
    fi
    sleep 0.5
  done
}

up() {
  if [ -d "$dir" ]; then
    for i in "${nodes[@]}"; do
      if alive "$(pid_of "$i")"; then say "a cluster already runs from $dir (node $i, pid $(pid_of "$i")); run down first"; exit 1; fi
    done
    rm -rf "$dir"
  fi
  for i in "${nodes[@]}"; do
    for p in "$(amqp_port "$i")" "$(dist_port "$i")"; do
      if port_open "$p"; then say "port $p is taken; choose another --base-port"; exit 1; fi
    done
  done
  mkdir -p "$dir/home"
  # One cookie for the three nodes and the CLI tools, readable by its owner only (Erlang insists).
  head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' > "$dir/home/.erlang.cookie"
  chmod 400 "$dir/home/.erlang.cookie"
  for i in "${nodes[@]}"; do
    local base="$dir/node$i"
    mkdir -p "$base/log"
    if [ "$prometheus" = 1 ]; then
      echo "[rabbitmq_prometheus]." > "$base/enabled_plugins"
    else
      echo "[]." > "$base/enabled_plugins"
    fi
    {
      # guest (the administrator of these nodes) only from this host; services use their own users.
      echo "loopback_users.guest = true"
      [ "$prometheus" = 1 ] && echo "prometheus.tcp.port = $(prom_port "$i")"
      echo "# quorum queues and their leaders survive a lost node; a minority pauses instead of diverging"
      echo "cluster_partition_handling = pause_minority"
    } > "$base/rabbitmq.conf"
    # A node of its own session, so stopping the caller's terminal does not stop it; its pid is the
    # beam.smp process (RABBITMQ_PID_FILE), written once it runs.
    env $(node_env "$i") setsid "$bin/rabbitmq-server" > "$base/log/console.out" 2>&1 < /dev/null &
    echo $! > "$base/launcher.pid"
  done
  for i in "${nodes[@]}"; do await_node "$i"; done
  for i in 2 3; do
    ctl "$i" stop_app > /dev/null
    ctl "$i" join_cluster "$(node_name 1)" > /dev/null
    ctl "$i" start_app > /dev/null
    await_node "$i"
  done
  # The nodes log "Server startup complete" once booted; a node killed before that can lose queues.
  local deadline=$((SECONDS + timeout_s))
  for i in "${nodes[@]}"; do
    until grep -q "Server startup complete" "$dir/node$i/log/$(node_name "$i").log" 2>/dev/null && port_open "$(amqp_port "$i")"; do
      if [ $SECONDS -ge $deadline ]; then say "node $(node_name "$i") did not finish booting"; down_nodes; exit 1; fi
      sleep 0.2
    done
  done
  local running
  running=$(ctl 1 cluster_status --formatter json | grep -o "\"running_nodes\":\[[^]]*\]" || true)
  for i in "${nodes[@]}"; do
    if [[ "$running" != *"$(node_name "$i")"* ]]; then say "node $(node_name "$i") is not in the cluster: $running"; down_nodes; exit 1; fi
  done
  # One broker user per service (DESIGN §17), with its permissions on "/": passwords from
  # AMQP_PASSWORD_<SERVICE>, else the development ones (CHANGE-ME-dev-<service>). Users are cluster-wide.
  local here
  here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
  if ! bun "$here/../packages/messaging/src/provisionBroker.ts" definitions / > "$dir/users.json" ||
    ! ctl 1 import_definitions "$dir/users.json" > /dev/null; then
    say "could not create the services' broker users"; down_nodes; exit 1
  fi
  rm -f "$dir/users.json"
  say "3 nodes up in $dir: $(node_name 1) $(node_name 2) $(node_name 3); services connect as bookaticket-<service>"
  local urls=()
  for i in "${nodes[@]}"; do urls+=("amqp://guest:guest@127.0.0.1:$(amqp_port "$i")"); done
  (IFS=,; echo "AMQP_URL=${urls[*]}")
}

down_nodes() {
  local pids=()
  for i in "${nodes[@]}"; do
    local pid launcher
    launcher=$(cat "$dir/node$i/launcher.pid" 2>/dev/null || true)
    pid=$(pid_of "$i")
    # A node still starting may not have written its pid file yet.
    local wait_until=$((SECONDS + 15))
    while [ -z "$pid" ] && alive "$launcher" && [ $SECONDS -lt $wait_until ]; do sleep 0.2; pid=$(pid_of "$i"); done
    if alive "$pid"; then kill -TERM "$pid" 2>/dev/null || true; pids+=("$pid"); fi
    if alive "$launcher"; then pids+=("$launcher"); fi
  done
  local deadline=$((SECONDS + 20))
  for pid in "${pids[@]}"; do
    while alive "$pid" && [ $SECONDS -lt $deadline ]; do sleep 0.2; done
    if alive "$pid"; then kill -KILL "$pid" 2>/dev/null || true; fi
  done
}

down() {
  if [ ! -d "$dir" ]; then say "no cluster in $dir"; return 0; fi
  down_nodes
  rm -rf "$dir"
  say "stopped the nodes of $dir and removed it"
}

status() {
  for i in "${nodes[@]}"; do
    local pid
    pid=$(pid_of "$i")
    if alive "$pid"; then
      echo "$(node_name "$i") pid $pid amqp 127.0.0.1:$(amqp_port "$i")"
    else
      echo "$(node_name "$i") down"
    fi
  done
}

case "$cmd" in
  up) up ;;
  down) down ;;
  status) status ;;
  *) echo "usage: rabbitmq/cluster.sh up|down|status [--base-port N] [--dir DIR] [--name PREFIX] [--prometheus]" >&2; exit 2 ;;
esac
