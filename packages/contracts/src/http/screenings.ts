// HTTP request and response bodies of the screenings service.
export {}
