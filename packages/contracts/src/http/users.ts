// HTTP request and response bodies of the users service.
export {}
