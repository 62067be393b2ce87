#!/usr/bin/env bash
# Makes sure a RabbitMQ broker with the management plugin answers locally; starts one if needed.
# Idempotent and silent when everything is already up. Exit status 1 means no usable broker.
#
#   RABBITMQ_HOST             host to check (default 127.0.0.1)
#   RABBITMQ_NODE_PORT        AMQP port (default 5672; RabbitMQ's own variable, so a node started
#                             from here listens there too)
#   RABBITMQ_MANAGEMENT_PORT  management HTTP port (default 15672)
#   BROKER_START_TIMEOUT_S    how long to wait for each step (default 60)
#   AMQP_URL                  its vhost is the one provisioned in step 4 (default "/")
#   AMQP_PASSWORD_<SERVICE>   a service's broker password (default: its development one, refused
#                             with NODE_ENV=production); given, the user's password is set to it
#   BROKER_PROVISION=0        skip step 4
set -euo pipefail

host="${RABBITMQ_HOST:-127.0.0.1}"
amqp_port="${RABBITMQ_NODE_PORT:-5672}"
mgmt_port="${RABBITMQ_MANAGEMENT_PORT:-15672}"
deadline_s="${BROKER_START_TIMEOUT_S:-60}"

say() { echo "ensure-broker: $*" >&2; }

port_open() {
  timeout 2 bash -c "exec 3<>/dev/tcp/$1/$2" 2>/dev/null
}

management_answers() {
  if command -v curl >/dev/null 2>&1; then
    curl -fsS -o /dev/null -m 3 -u guest:guest "http://$host:$mgmt_port/api/overview" 2>/dev/null
  else
    port_open "$host" "$mgmt_port"
  fi
}

# wait_for <description> <command...>: polls the command until it succeeds or the deadline passes.
wait_for() {
  local what="$1"
  shift
  local end=$((SECONDS + deadline_s))
  until "$@"; do
    if ((SECONDS >= end)); then
      say "gave up after ${deadline_s}s waiting for $what"
      return 1
    fi
    sleep 1
  done
}

print_install_help() {
  cat >&2 <<EOF
ensure-broker: no RabbitMQ broker answers on $host:$amqp_port and rabbitmq-server is not installed.
Install it (Debian/Ubuntu):

    sudo apt-get update && sudo apt-get install -y rabbitmq-server

then run this script again (bun run broker). Or run your own node and point AMQP_URL at it.
EOF
}

# 1. The AMQP listener.
if ! port_open "$host" "$amqp_port"; then
  if ! command -v rabbitmq-server >/dev/null 2>&1; then
    print_install_help
    exit 1
  fi
  say "RabbitMQ is not running on $host:$amqp_port; starting it (rabbitmq-server -detached)"
  log="$(mktemp -t rabbitmq-start.XXXXXX.log)"
  if ! rabbitmq-server -detached >"$log" 2>&1; then
    say "rabbitmq-server -detached failed:"
    cat "$log" >&2
    exit 1
  fi
  if ! wait_for "RabbitMQ to accept AMQP connections on $host:$amqp_port" port_open "$host" "$amqp_port"; then
    cat "$log" >&2
    say "see the node's log under /var/log/rabbitmq/ for the cause"
    exit 1
  fi
  rm -f "$log"
  say "RabbitMQ is up on $host:$amqp_port"
fi

# 2. The management plugin and its HTTP API (the UI operators use, and the API tests use).
if ! management_answers; then
  if ! command -v rabbitmq-plugins >/dev/null 2>&1; then
    say "the management API does not answer on $host:$mgmt_port and rabbitmq-plugins is not installed here;"
    say "enable it on the broker's node: rabbitmq-plugins enable rabbitmq_management"
    exit 1
  fi
  if ! rabbitmq-plugins is_enabled rabbitmq_management --quiet >/dev/null 2>&1; then
    say "enabling the management plugin (rabbitmq-plugins enable rabbitmq_management)"
    rabbitmq-plugins enable rabbitmq_management >&2
  fi
  wait_for "the management API on http://$host:$mgmt_port" management_answers
fi

# 3. The broker's own Prometheus metrics (rabbitmq_prometheus, http://$host:15692/metrics), scraped by
#    rabbitmq/prometheus/prometheus.yml. Enabling a plugin does not restart the node. Without
#    rabbitmq-plugins here (a remote broker) this is only a warning: the services work without it.
prometheus_port="${RABBITMQ_PROMETHEUS_PORT:-15692}"
if ! port_open "$host" "$prometheus_port"; then
  if command -v rabbitmq-plugins >/dev/null 2>&1; then
    if ! rabbitmq-plugins is_enabled rabbitmq_prometheus --quiet >/dev/null 2>&1; then
      say "enabling the Prometheus plugin (rabbitmq-plugins enable rabbitmq_prometheus)"
      rabbitmq-plugins enable rabbitmq_prometheus >&2 || say "could not enable rabbitmq_prometheus; the services work without it"
    fi
    if rabbitmq-plugins is_enabled rabbitmq_prometheus --quiet >/dev/null 2>&1; then
      wait_for "the broker's metrics on http://$host:$prometheus_port/metrics" port_open "$host" "$prometheus_port" ||
        say "the broker's metrics are not served; the services work without them"
    fi
  else
    say "the broker's metrics do not answer on $host:$prometheus_port; enable them on its node: rabbitmq-plugins enable rabbitmq_prometheus"
  fi
fi

# 3b. RabbitMQ 3.10's quorum-queue dead-letter supervisor stops for good when at-least-once dead-letter
#     workers crash as their queue is deleted while they start (reached_max_restart_intensity); the node then
#     refuses every new quorum queue with at-least-once dead-lettering ("Channel ended"). On a local node the
#     supervisor is started again (only that supervisor: the node keeps running).
if { [ "$host" = 127.0.0.1 ] || [ "$host" = localhost ]; } && command -v rabbitmqctl >/dev/null 2>&1; then
  if [ "$(timeout 20 rabbitmqctl eval 'whereis(rabbit_fifo_dlx_sup).' 2>/dev/null | tail -n 1)" = undefined ]; then
    say "the node's quorum-queue dead-letter supervisor had stopped; starting it again"
    timeout 20 rabbitmqctl eval 'supervisor:restart_child(rabbit_sup, rabbit_fifo_dlx_sup).' >&2 || true
  fi
fi

# 4. Least privilege (DESIGN §17): one broker user per service (bookaticket-<service>), its permissions
#    on the vhost in use, and the layout every consumer needs before a producer publishes (every
#    exchange, inbox, DLQ and binding) — a service may declare only its own. Idempotent; it creates
#    what is missing and never deletes a user, a permission or a queue.
if [ "${BROKER_PROVISION:-1}" != 0 ]; then
  here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
  if ! command -v bun >/dev/null 2>&1; then
    say "bun is not installed: cannot create the services' broker users (see docs/DEPLOYMENT.md to do it by hand)"
    exit 1
  fi
  RABBITMQ_HOST="$host" RABBITMQ_NODE_PORT="$amqp_port" RABBITMQ_MANAGEMENT_PORT="$mgmt_port" \
    bun "$here/../packages/messaging/src/provisionBroker.ts" >&2 || exit 1
fi
