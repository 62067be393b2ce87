// HTTP request and response bodies of the movies service.
export {}
