// HTTP request and response bodies of the booking service.
export {}
