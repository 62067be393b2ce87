// HTTP request and response bodies of the cinemas service.
export {}
