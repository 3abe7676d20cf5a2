package server

import (
	"fmt"
	"net/http"
)

// reserve takes n passages of the in-flight budget until release is
// called, after the answer is written: the results and their JSON are
// what a request's memory is, and a count of requests alone would let a
// few maximal batches take gigabytes. A request that does not fit now is
// turned away at once, as the guard turns away requests beyond its bound.
func (s *Server) reserve(n int) (release func(), err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.passages > 0 && s.passages+n > s.cfg.MaxPassagesInFlight {
		return nil, &httpError{status: http.StatusServiceUnavailable, retryAfter: true,
			detail: fmt.Sprintf("server busy: %d of %d passages in flight; retry later", s.passages, s.cfg.MaxPassagesInFlight)}
	}
	s.passages += n
	return func() {
		s.mu.Lock()
		s.passages -= n
		s.mu.Unlock()
	}, nil
}
