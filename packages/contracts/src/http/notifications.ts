// HTTP request and response bodies of the notifications service.
export {}
