package fault

// Stats counts the requests a simulator received, by outcome. Each
// simulator says which of its answers count as AuthFailed and BadRequest.
type Stats struct {
	Requests   int           // all requests received, whatever the path or outcome
	Served     int           // well-formed pages answered, including those Slow delayed and those EmptyPage or StuckCursor shaped
	AuthFailed int           // requests rejected by the authentication checks
	BadRequest int           // requests rejected by the parameter checks
	Faults     map[Fault]int // injected faults by kind (never None)
}

// CountRequest counts a request received, whatever its path or outcome,
// and returns the number received so far, this one included.
func (in *Injector) CountRequest() int {
	return in.count(&in.stats.Requests)
}

// CountServed counts a well-formed page answered.
func (in *Injector) CountServed() {
	in.count(&in.stats.Served)
}

// CountAuthFailed counts a request rejected by the authentication checks.
func (in *Injector) CountAuthFailed() {
	in.count(&in.stats.AuthFailed)
}

// CountBadRequest counts a request rejected by the parameter checks.
func (in *Injector) CountBadRequest() {
	in.count(&in.stats.BadRequest)
}

// count adds one to a counter and returns its new value.
func (in *Injector) count(counter *int) int {
	in.mu.Lock()
	defer in.mu.Unlock()
	*counter++
	return *counter
}
