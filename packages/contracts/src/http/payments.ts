// HTTP request and response bodies of the payments service.
export {}
