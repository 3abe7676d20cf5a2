package client

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"research/tinker"
)

// future is a submitted request whose result is read through
// retrieve_future.
type future struct {
	route     string // the route that submitted it, for errors
	requestID string
	reqType   string // X-Tinker-Request-Type: ForwardBackward, OptimStep, ...
	proto     bool   // the result may come as protobuf (ForwardBackwardOutput, SampleResponse)
}

// submit sends a request whose immediate answer is a future.
func (c *Client) submit(ctx context.Context, route, reqType string, r request, proto bool) (future, error) {
	var f tinker.UntypedAPIFuture
	if err := c.call(ctx, route, r, &f); err != nil {
		return future{}, err
	}
	if f.RequestID == "" {
		return future{}, &APIError{Route: route, Status: 200, Detail: "request_id: missing from the answer (want a future)"}
	}
	return future{route: route, requestID: f.RequestID, reqType: reqType, proto: proto}, nil
}

// result polls retrieve_future until f is done and returns its result.
// Pending answers (try_again, HTTP 408 after a long-poll, and
// complete_metadata) poll again; 429, 5xx and connection errors poll again
// after a backoff, for up to RetryFor without an answer; a failed request
// is a *RequestFailedError.
func (c *Client) result(ctx context.Context, f future) (answer, error) {
	body, err := json.Marshal(tinker.FutureRetrieveRequest{RequestID: f.requestID})
	if err != nil {
		return answer{}, err
	}
	accept := "application/json"
	if f.proto {
		accept = tinker.ProtoContentType + ", application/json"
	}
	var failingSince time.Time
	attempts := 0
	backoff := c.opt.Backoff
	// A server should hold a pending poll (serve-tinker for 30 s); one that
	// answers try_again at once is polled with a growing pause instead of
	// in a busy loop.
	pause := 10 * time.Millisecond
	for iter := 0; ; iter++ {
		r := request{body: body, accept: accept, timeout: c.opt.PollTimeout, headers: map[string]string{
			"X-Tinker-Request-Iteration": strconv.Itoa(iter), "X-Tinker-Request-Type": f.reqType}}
		polled := time.Now()
		a, err := c.once(ctx, "retrieve_future", r, newKey(), 1)
		if ctx.Err() != nil {
			return answer{}, fmt.Errorf("tinker: %s request %s: %w", f.route, f.requestID, ctx.Err())
		}
		pending := false
		var retry time.Duration // > 0: a failure to retry after this long
		switch ae := (*APIError)(nil); {
		case err == nil:
			failingSince, attempts, backoff = time.Time{}, 0, c.opt.Backoff
			done, out, ferr := c.readResult(f, a)
			if ferr != nil || done {
				return out, ferr
			}
			pending = true
		case errors.As(err, &ae) && ae.Status == http.StatusRequestTimeout:
			failingSince, attempts, backoff = time.Time{}, 0, c.opt.Backoff
			pending = true
		case errors.As(err, &ae) && ae.Status == http.StatusBadRequest:
			// SkyRL answers a failed request with 400 {"detail": error}.
			return answer{}, &RequestFailedError{Route: f.route, RequestID: f.requestID, Category: "user", Message: ae.Detail}
		case errors.As(err, &ae) && ae.Status == http.StatusNotFound:
			return answer{}, fmt.Errorf("tinker: %s request %s: the server does not know it (restarted since, or the result was dropped): %w", f.route, f.requestID, err)
		case errors.As(err, &ae) && ae.Status == http.StatusGone:
			return answer{}, fmt.Errorf("tinker: %s request %s: expired on the server: %w", f.route, f.requestID, err)
		default:
			var rs *retryableStatus
			if errors.As(err, &ae) && !errors.As(err, &rs) {
				return answer{}, fmt.Errorf("tinker: %s request %s: %w", f.route, f.requestID, err)
			}
			if rs != nil {
				retry = max(backoff, rs.after)
			} else {
				retry = backoff // a connection error
			}
		}
		if pending {
			if time.Since(polled) < time.Second {
				if err := sleep(ctx, pause); err != nil {
					return answer{}, fmt.Errorf("tinker: %s request %s: %w", f.route, f.requestID, err)
				}
				pause = min(2*pause, time.Second)
			} else {
				pause = 10 * time.Millisecond
			}
			continue
		}
		attempts++
		if failingSince.IsZero() {
			failingSince = polled
		}
		if elapsed := time.Since(failingSince); elapsed+retry > c.opt.RetryFor {
			c.mu.Lock()
			hb := c.heartbeatErr
			c.mu.Unlock()
			return answer{}, fmt.Errorf("tinker: waiting for %s request %s: %w", f.route, f.requestID,
				&UnreachableError{Route: "retrieve_future", URL: c.base + "retrieve_future", Attempts: attempts, For: elapsed, Last: err, Session: hb})
		}
		if err := sleep(ctx, retry); err != nil {
			return answer{}, fmt.Errorf("tinker: %s request %s: %w", f.route, f.requestID, err)
		}
		backoff = min(2*backoff, c.opt.MaxBackoff)
	}
}

// readResult classifies a 200 answer of retrieve_future: done with a
// result, a failure, or still pending (try_again, complete_metadata).
func (c *Client) readResult(f future, a answer) (done bool, out answer, err error) {
	if strings.HasPrefix(strings.ToLower(a.contentType), tinker.ProtoContentType) {
		if !f.proto {
			return true, a, &APIError{Route: "retrieve_future", Status: a.status, Detail: fmt.Sprintf("a protobuf answer for %s, whose result has no protobuf form", f.route)}
		}
		return true, a, nil
	}
	var probe struct {
		Type     string          `json:"type"`
		Status   string          `json:"status"`
		Error    json.RawMessage `json:"error"`
		Category string          `json:"category"`
	}
	if err := json.Unmarshal(a.body, &probe); err != nil {
		return true, a, &APIError{Route: "retrieve_future", Status: a.status, Detail: fmt.Sprintf("answer for %s request %s is neither JSON nor protobuf: %v", f.route, f.requestID, err)}
	}
	switch {
	case probe.Type == "try_again" || probe.Status == "complete_metadata":
		return false, a, nil
	case probe.Error != nil:
		var msg string
		if json.Unmarshal(probe.Error, &msg) != nil {
			msg = string(probe.Error)
		}
		return true, a, &RequestFailedError{Route: f.route, RequestID: f.requestID, Category: probe.Category, Message: msg}
	}
	return true, a, nil
}

// sleep waits d or until ctx is done.
func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// decodeResult decodes a JSON result into out, naming the route.
func decodeResult(f future, a answer, out any) error {
	if err := json.Unmarshal(a.body, out); err != nil {
		return &APIError{Route: "retrieve_future", Status: a.status, Detail: fmt.Sprintf("result of %s request %s: %v", f.route, f.requestID, err)}
	}
	return nil
}
