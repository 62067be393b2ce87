// An in-page link: history navigation on a plain click, a normal link otherwise.
import type { ComponentChildren } from "preact"
import { onLinkClick } from "../router.ts"

export function Link(props: { href: string; children: ComponentChildren; class?: string; "aria-label"?: string }) {
  return (
    <a href={props.href} class={props.class} aria-label={props["aria-label"]} onClick={onLinkClick}>
      {props.children}
    </a>
  )
}
