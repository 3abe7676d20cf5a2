package client

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"research/tinker"
)

// Options configure a Client. Zero values take the defaults in brackets.
type Options struct {
	// BaseURL is the service's root, without /api/v1
	// (https://tinker.thinkingmachines.dev/services/tinker-prod, or
	// http://127.0.0.1:8000 for research serve-tinker).
	BaseURL string
	// APIKey goes in X-API-Key on every call; empty sends none.
	APIKey string
	// HTTP is the transport [a client with no overall timeout: calls are
	// bounded by CallTimeout and PollTimeout].
	HTTP *http.Client
	// CallTimeout bounds one HTTP call other than a poll [60 s, the SDK's].
	CallTimeout time.Duration
	// PollTimeout bounds one retrieve_future call, which a server holds
	// while the result is pending [75 s: above the 30 s of serve-tinker
	// and the 45 s the SDK allows].
	PollTimeout time.Duration
	// RetryFor is how long a request keeps being retried after 408, 409,
	// 429, 5xx answers and connection errors before the call fails [5 min,
	// the SDK's execute_with_retries].
	RetryFor time.Duration
	// Backoff is the first retry's delay, doubled each retry up to
	// MaxBackoff [0.5 s, 30 s].
	Backoff, MaxBackoff time.Duration
	// Heartbeat is the session heartbeat's period [10 s, the SDK's].
	Heartbeat time.Duration
	// Tags and SDKVersion go into create_session [none; "0.24.0", the
	// JSON generation of the wire this client writes].
	Tags       []string
	SDKVersion string
	// Log receives notes (heartbeat failures); nil discards them.
	Log io.Writer
}

func (o *Options) defaults() {
	dur := func(v *time.Duration, d time.Duration) {
		if *v <= 0 {
			*v = d
		}
	}
	dur(&o.CallTimeout, 60*time.Second)
	dur(&o.PollTimeout, 75*time.Second)
	dur(&o.RetryFor, 5*time.Minute)
	dur(&o.Backoff, 500*time.Millisecond)
	dur(&o.MaxBackoff, 30*time.Second)
	dur(&o.Heartbeat, 10*time.Second)
	if o.HTTP == nil {
		o.HTTP = &http.Client{}
	}
	if o.SDKVersion == "" {
		o.SDKVersion = "0.24.0"
	}
	if o.Tags == nil {
		o.Tags = []string{}
	}
	if o.Log == nil {
		o.Log = io.Discard
	}
}

// Client is a session with a Tinker-compatible service. It is safe for
// concurrent use.
type Client struct {
	opt   Options
	base  string // BaseURL + "/api/v1/"
	proto bool   // send forward_backward as protobuf (client/config's proto_write_fwdbwd)

	SessionID string

	mu            sync.Mutex
	modelSeq      int // create_model's model_seq_id, from 0
	samplingSeq   int // create_sampling_session's sampling_session_seq_id, from 0
	heartbeatErr  error
	stopHeartbeat chan struct{}
	cancelBeat    context.CancelFunc // ends a heartbeat in flight at Close
	beatCtx       context.Context
	closeOnce     sync.Once
	done          chan struct{}
}

// Dial checks opt, reads the server's client/config, opens a session and
// starts its heartbeat. Close ends the heartbeat.
func Dial(ctx context.Context, opt Options) (*Client, error) {
	opt.defaults()
	u, err := url.Parse(opt.BaseURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("tinker: base URL %q: want http(s)://host[:port][/path]", opt.BaseURL)
	}
	c := &Client{opt: opt, base: strings.TrimRight(opt.BaseURL, "/") + "/api/v1/",
		stopHeartbeat: make(chan struct{}), done: make(chan struct{})}
	c.beatCtx, c.cancelBeat = context.WithCancel(context.Background())
	if err := c.clientConfig(ctx); err != nil {
		c.cancelBeat()
		return nil, err
	}
	var sess tinker.CreateSessionResponse
	req := tinker.CreateSessionRequest{Tags: opt.Tags, SDKVersion: opt.SDKVersion, Type: "create_session"}
	if err := c.postJSON(ctx, "create_session", req, &sess); err != nil {
		c.cancelBeat()
		return nil, err
	}
	if sess.SessionID == "" {
		c.cancelBeat()
		return nil, &APIError{Route: "create_session", Status: 200, Detail: "session_id: missing from the answer"}
	}
	c.SessionID = sess.SessionID
	go c.heartbeat()
	return c, nil
}

// clientConfig reads the feature flags the server sets for this caller; a
// server without the route (404, as SkyRL) leaves the defaults.
func (c *Client) clientConfig(ctx context.Context) error {
	var cfg struct {
		ProtoWriteFwdbwd bool `json:"proto_write_fwdbwd"`
	}
	err := c.postJSON(ctx, "client/config", tinker.ClientConfigRequest{SDKVersion: c.opt.SDKVersion}, &cfg)
	var ae *APIError
	if errors.As(err, &ae) && ae.Status == http.StatusNotFound {
		return nil
	}
	if err != nil {
		return err
	}
	c.proto = cfg.ProtoWriteFwdbwd
	return nil
}

// BaseURL is the service's root, as given.
func (c *Client) BaseURL() string { return c.opt.BaseURL }

// Capabilities is get_server_capabilities: the base models served and
// their context lengths.
func (c *Client) Capabilities(ctx context.Context) (tinker.ServerCapabilities, error) {
	var out tinker.ServerCapabilities
	err := c.call(ctx, "get_server_capabilities", request{method: http.MethodGet}, &out)
	return out, err
}

// Close stops the heartbeat; the server drops the session and its models
// when it has not heard from it for a while.
func (c *Client) Close() {
	c.closeOnce.Do(func() {
		close(c.stopHeartbeat)
		c.cancelBeat()
		<-c.done
	})
}

// heartbeat keeps the session alive until Close. A failure is logged and
// kept for the errors of later calls; it does not stop the run, as in the
// SDK, since the calls themselves report a server that is gone.
func (c *Client) heartbeat() {
	defer close(c.done)
	t := time.NewTicker(c.opt.Heartbeat)
	defer t.Stop()
	for {
		select {
		case <-c.stopHeartbeat:
			return
		case <-t.C:
		}
		body, _ := json.Marshal(tinker.SessionHeartbeatRequest{SessionID: c.SessionID, Type: "session_heartbeat"})
		ctx, cancel := context.WithTimeout(c.beatCtx, c.opt.CallTimeout)
		err := c.call(ctx, "session_heartbeat", request{body: body, once: true}, nil)
		cancel()
		if c.beatCtx.Err() != nil {
			return
		}
		c.mu.Lock()
		changed := (err == nil) != (c.heartbeatErr == nil)
		c.heartbeatErr = err
		c.mu.Unlock()
		if err != nil && changed {
			fmt.Fprintf(c.opt.Log, "tinker: session %s: heartbeat failed: %v\n", c.SessionID, err)
		}
	}
}

// APIError is an answer the server gave that is not a success: the route,
// the HTTP status and the server's detail (which names the field of a bad
// request).
type APIError struct {
	Route  string
	Status int
	Detail string
}

func (e *APIError) Error() string {
	return fmt.Sprintf("tinker: %s: HTTP %d: %s", e.Route, e.Status, e.Detail)
}

// RequestFailedError is a request the server accepted and then failed
// (retrieve_future's RequestFailedResponse, or SkyRL's 400 for a failed
// future).
type RequestFailedError struct {
	Route     string // the route that submitted it
	RequestID string
	Category  string // user, server or unknown
	Message   string
}

func (e *RequestFailedError) Error() string {
	cat := ""
	if e.Category != "" {
		cat = " (" + e.Category + " error)"
	}
	return fmt.Sprintf("tinker: %s request %s failed%s: %s", e.Route, e.RequestID, cat, e.Message)
}

// UnreachableError is a call that got no usable answer for RetryFor: the
// server died, or is overloaded for longer than the run waits.
type UnreachableError struct {
	Route    string
	URL      string
	Attempts int
	For      time.Duration
	Last     error // the last attempt's failure
	Session  error // the heartbeat's last failure, if any
}

func (e *UnreachableError) Error() string {
	s := fmt.Sprintf("tinker: %s: no answer from %s after %d attempts over %v (is the server still running?): %v",
		e.Route, e.URL, e.Attempts, e.For.Round(time.Millisecond), e.Last)
	if e.Session != nil {
		s += "; the session heartbeat failed too: " + e.Session.Error()
	}
	return s
}

func (e *UnreachableError) Unwrap() error { return e.Last }

// request is one logical call: its body, content type and what it
// accepts back; once sends it a single time (heartbeats).
type request struct {
	method      string // default POST
	body        []byte
	contentType string // default JSON
	accept      string // default JSON
	headers     map[string]string
	timeout     time.Duration // default CallTimeout
	once        bool
}

// answer is a successful (2xx) answer.
type answer struct {
	status      int
	contentType string
	body        []byte
}

// maxAnswerBytes caps what one answer may hold (a sample of 8k tokens with
// logprobs is ~200 kB; a forward_backward result of 1024 datums of 8k
// tokens is ~70 MB).
const maxAnswerBytes = 1 << 30

// newKey returns an idempotency key in the SDK's form.
func newKey() string {
	var b [16]byte
	rand.Read(b[:])
	return "stainless-python-retry-" + hex.EncodeToString(b[:])
}

// retryable reports whether a status is retried, as the SDK does: 408,
// 409, 429 and 5xx, unless the server says x-should-retry: false.
func retryable(status int, h http.Header) bool {
	if strings.EqualFold(h.Get("x-should-retry"), "false") {
		return false
	}
	return status == 408 || status == 409 || status == 429 || status >= 500
}

// retryAfter reads retry-after-ms or retry-after (seconds), capped at
// limit; 0 when absent.
func retryAfter(h http.Header, limit time.Duration) time.Duration {
	var d time.Duration
	if ms, err := strconv.ParseFloat(h.Get("retry-after-ms"), 64); err == nil && ms > 0 {
		d = time.Duration(ms * float64(time.Millisecond))
	} else if s, err := strconv.ParseFloat(h.Get("retry-after"), 64); err == nil && s > 0 {
		d = time.Duration(s * float64(time.Second))
	}
	return min(d, limit)
}

// send posts r to route until it gets an answer that is not retried:
// 2xx comes back; any other status is an *APIError; 408, 409, 429, 5xx
// and connection errors are retried with backoff (the same idempotency
// key each time) until RetryFor passes, then *UnreachableError.
func (c *Client) send(ctx context.Context, route string, r request) (answer, error) {
	key := newKey()
	start := time.Now()
	wait := c.opt.Backoff
	attempts := 0
	for {
		attempts++
		a, err := c.once(ctx, route, r, key, attempts)
		if err == nil {
			return a, nil
		}
		if ctx.Err() != nil {
			return answer{}, fmt.Errorf("tinker: %s: %w", route, ctx.Err())
		}
		var ae *APIError
		var hint time.Duration
		if errors.As(err, &ae) {
			var re *retryableStatus
			if !errors.As(err, &re) {
				return answer{}, err
			}
			hint = re.after
		}
		elapsed := time.Since(start)
		d := max(wait, hint)
		if r.once || elapsed+d > c.opt.RetryFor {
			c.mu.Lock()
			hb := c.heartbeatErr
			c.mu.Unlock()
			return answer{}, &UnreachableError{Route: route, URL: c.base + route, Attempts: attempts, For: elapsed, Last: err, Session: hb}
		}
		t := time.NewTimer(d)
		select {
		case <-ctx.Done():
			t.Stop()
			return answer{}, fmt.Errorf("tinker: %s: %w", route, ctx.Err())
		case <-t.C:
		}
		wait = min(2*wait, c.opt.MaxBackoff)
	}
}

// retryableStatus is an *APIError the SDK retries, with the delay the
// server asked for.
type retryableStatus struct {
	*APIError
	after time.Duration
}

func (e *retryableStatus) Unwrap() error { return e.APIError }

// once makes one HTTP attempt.
func (c *Client) once(ctx context.Context, route string, r request, key string, attempt int) (answer, error) {
	timeout := r.timeout
	if timeout <= 0 {
		timeout = c.opt.CallTimeout
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	method := r.method
	if method == "" {
		method = http.MethodPost
	}
	req, err := http.NewRequestWithContext(ctx, method, c.base+route, bytes.NewReader(r.body))
	if err != nil {
		return answer{}, fmt.Errorf("tinker: %s: %w", route, err)
	}
	ct, accept := r.contentType, r.accept
	if ct == "" {
		ct = "application/json"
	}
	if accept == "" {
		accept = "application/json"
	}
	req.Header.Set("Content-Type", ct)
	req.Header.Set("Accept", accept)
	req.Header.Set("User-Agent", "research-tinker-client/1 (Go)")
	if method != http.MethodGet {
		req.Header.Set("X-Idempotency-Key", key)
	}
	req.Header.Set("x-stainless-retry-count", strconv.Itoa(attempt-1))
	if c.opt.APIKey != "" {
		req.Header.Set("X-API-Key", c.opt.APIKey)
	}
	for k, v := range r.headers {
		req.Header.Set(k, v)
	}
	resp, err := c.opt.HTTP.Do(req)
	if err != nil {
		return answer{}, err // a connection error: retried
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxAnswerBytes+1))
	if err != nil {
		return answer{}, fmt.Errorf("tinker: %s: reading the answer: %w", route, err) // a torn answer: retried
	}
	if len(body) > maxAnswerBytes {
		return answer{}, &APIError{Route: route, Status: resp.StatusCode, Detail: fmt.Sprintf("answer larger than %d bytes", maxAnswerBytes)}
	}
	if resp.StatusCode >= 200 && resp.StatusCode < 300 {
		return answer{status: resp.StatusCode, contentType: resp.Header.Get("Content-Type"), body: body}, nil
	}
	ae := &APIError{Route: route, Status: resp.StatusCode, Detail: detail(body)}
	if retryable(resp.StatusCode, resp.Header) {
		return answer{}, &retryableStatus{APIError: ae, after: retryAfter(resp.Header, c.opt.MaxBackoff)}
	}
	return answer{}, ae
}

// detail extracts the message of an error body: FastAPI's {"detail": str}
// or {"detail": [{"loc", "msg"}…]}, {"error": str}, or the text itself.
func detail(body []byte) string {
	var v struct {
		Detail json.RawMessage `json:"detail"`
		Error  string          `json:"error"`
	}
	if json.Unmarshal(body, &v) == nil {
		var s string
		if json.Unmarshal(v.Detail, &s) == nil && s != "" {
			return s
		}
		var items []struct {
			Loc []any  `json:"loc"`
			Msg string `json:"msg"`
		}
		if json.Unmarshal(v.Detail, &items) == nil && len(items) > 0 {
			parts := make([]string, len(items))
			for i, it := range items {
				loc := make([]string, len(it.Loc))
				for j, l := range it.Loc {
					loc[j] = fmt.Sprint(l)
				}
				parts[i] = strings.Join(loc, ".") + ": " + it.Msg
			}
			return strings.Join(parts, "; ")
		}
		if v.Error != "" {
			return v.Error
		}
	}
	s := strings.TrimSpace(string(body))
	if len(s) > 500 {
		s = s[:500] + "…"
	}
	if s == "" {
		s = "(empty answer)"
	}
	return s
}

// call sends r and decodes a JSON answer into out (nil: ignore it).
func (c *Client) call(ctx context.Context, route string, r request, out any) error {
	a, err := c.send(ctx, route, r)
	if err != nil {
		return err
	}
	if out == nil {
		return nil
	}
	if err := json.Unmarshal(a.body, out); err != nil {
		return &APIError{Route: route, Status: a.status, Detail: fmt.Sprintf("answer is not the expected JSON: %v", err)}
	}
	return nil
}

// postJSON posts v as JSON and decodes the answer into out.
func (c *Client) postJSON(ctx context.Context, route string, v, out any) error {
	body, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("tinker: %s: %w", route, err)
	}
	return c.call(ctx, route, request{body: body}, out)
}
