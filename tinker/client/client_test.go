package client

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"research/tinker"
)

// call is one HTTP request the fake server saw.
type call struct {
	route   string
	header  http.Header
	body    []byte
	arrived time.Time
}

// fake is a Tinker server that records every request and answers through
// per-route handlers; by default futures are pending for `pending` polls
// (try_again), then answer the result the submitting route registered.
type fake struct {
	t       *testing.T
	srv     *httptest.Server
	mu      sync.Mutex
	calls   []call
	routes  map[string]http.HandlerFunc
	results map[string]func(w http.ResponseWriter, r *http.Request) // by request id
	polls   map[string]int
	pending int
	nextID  int
	config  map[string]any // client/config's answer
}

func newFake(t *testing.T) *fake {
	f := &fake{t: t, routes: map[string]http.HandlerFunc{}, results: map[string]func(http.ResponseWriter, *http.Request){},
		polls: map[string]int{}, pending: 2, config: map[string]any{"pjwt_auth_enabled": false}}
	f.srv = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.srv.Close)
	f.routes["client/config"] = func(w http.ResponseWriter, r *http.Request) { writeJSON(w, 200, f.config) }
	f.routes["create_session"] = func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, 200, map[string]any{"session_id": "sess1", "type": "create_session"})
	}
	f.routes["session_heartbeat"] = func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, 200, map[string]any{"type": "session_heartbeat"})
	}
	f.routes["create_model"] = f.futureOf(func() any { return map[string]any{"model_id": "sess1:train:0", "type": "create_model"} })
	f.routes["retrieve_future"] = f.retrieve
	return f
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}

func (f *fake) serve(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	route := strings.TrimPrefix(r.URL.Path, "/api/v1/")
	f.mu.Lock()
	f.calls = append(f.calls, call{route: route, header: r.Header.Clone(), body: body, arrived: time.Now()})
	h := f.routes[route]
	f.mu.Unlock()
	if r.Header.Get("X-API-Key") != "tml-test" {
		writeJSON(w, 401, map[string]string{"detail": "bad key"})
		return
	}
	if h == nil {
		writeJSON(w, 404, map[string]string{"detail": "no route " + route})
		return
	}
	r.Body = io.NopCloser(strings.NewReader(string(body)))
	h(w, r)
}

// futureOf answers a submission with a new future whose result is JSON.
func (f *fake) futureOf(result func() any) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		f.answerFuture(w, func(w http.ResponseWriter, _ *http.Request) { writeJSON(w, 200, result()) })
	}
}

func (f *fake) answerFuture(w http.ResponseWriter, result func(http.ResponseWriter, *http.Request)) {
	f.mu.Lock()
	f.nextID++
	id := fmt.Sprintf("req-%d", f.nextID)
	f.results[id] = result
	f.mu.Unlock()
	writeJSON(w, 200, map[string]string{"request_id": id})
}

func (f *fake) retrieve(w http.ResponseWriter, r *http.Request) {
	var req struct {
		RequestID         string `json:"request_id"`
		AllowMetadataOnly *bool  `json:"allow_metadata_only"`
	}
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil || req.AllowMetadataOnly == nil {
		writeJSON(w, 422, map[string]string{"detail": "want request_id and allow_metadata_only"})
		return
	}
	f.mu.Lock()
	res := f.results[req.RequestID]
	f.polls[req.RequestID]++
	n, pending := f.polls[req.RequestID], f.pending
	f.mu.Unlock()
	switch {
	case res == nil:
		writeJSON(w, 404, map[string]string{"detail": "unknown request_id"})
	case n <= pending:
		writeJSON(w, 200, map[string]string{"type": "try_again", "request_id": req.RequestID, "queue_state": "active"})
	default:
		res(w, r)
	}
}

// seen returns the calls to route, in order.
func (f *fake) seen(route string) []call {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []call
	for _, c := range f.calls {
		if c.route == route {
			out = append(out, c)
		}
	}
	return out
}

func (f *fake) dial(t *testing.T, mod func(*Options)) *Client {
	t.Helper()
	opt := Options{BaseURL: f.srv.URL, APIKey: "tml-test", Backoff: time.Millisecond, MaxBackoff: 20 * time.Millisecond,
		RetryFor: 2 * time.Second, Heartbeat: time.Hour}
	if mod != nil {
		mod(&opt)
	}
	c, err := Dial(context.Background(), opt)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	return c
}

// fbOutput is a forward_backward result of n datums of 3 tokens.
func fbOutput(n int) tinker.ForwardBackwardOutput {
	out := tinker.ForwardBackwardOutput{LossFnOutputType: "ArrayRecord", Metrics: map[string]float64{"loss:sum": -1.5}}
	for range n {
		out.LossFnOutputs = append(out.LossFnOutputs, map[string]tinker.TensorData{"logprobs": tinker.FloatTensor([]float32{-0.5, -0.25, -2})})
	}
	return out
}

func ppoInput() tinker.ForwardBackwardInput {
	return tinker.ForwardBackwardInput{LossFn: "ppo", LossFnConfig: map[string]float64{"clip_low_threshold": 0.8, "clip_high_threshold": 1.2},
		Data: []tinker.Datum{{ModelInput: tinker.TextInput([]int{1, 2, 3}), LossFnInputs: tinker.LossFnInputs{
			"target_tokens": tinker.IntTensor([]int64{2, 3, 4}), "logprobs": tinker.FloatTensor([]float32{0, -1, -1}),
			"advantages": tinker.FloatTensor([]float32{0, 0.5, 0.5})}}}}
}

// TestTrainingLoopShapes: a training model's requests carry the SDK's
// bodies and headers, seq_ids 1, 2, 3, … in call order, one idempotency
// key each; pending futures (try_again) are polled with the SDK's
// iteration and type headers until their result comes.
func TestTrainingLoopShapes(t *testing.T) {
	f := newFake(t)
	fb := func(w http.ResponseWriter, r *http.Request) {
		f.answerFuture(w, func(w http.ResponseWriter, _ *http.Request) { writeJSON(w, 200, fbOutput(1)) })
	}
	f.routes["forward_backward"] = fb
	f.routes["forward"] = fb
	f.routes["optim_step"] = f.futureOf(func() any {
		return map[string]any{"metrics": map[string]float64{"grad_norm:mean": 0.75}}
	})
	f.routes["save_weights"] = f.futureOf(func() any { return map[string]any{"path": "tinker://sess1:train:0/weights/s1"} })
	f.routes["save_weights_for_sampler"] = f.futureOf(func() any {
		return map[string]any{"path": "tinker://sess1:train:0/sampler_weights/p1"}
	})
	f.routes["load_weights"] = f.futureOf(func() any { return map[string]any{"path": "tinker://sess1:train:0/weights/s1"} })
	c := f.dial(t, nil)
	ctx := context.Background()
	tc, err := c.CreateModel(ctx, "Qwen/Qwen2.5-7B-Instruct", tinker.LoRAConfig{Rank: 8, TrainMLP: true, TrainAttn: true, TrainUnembed: false})
	if err != nil {
		t.Fatal(err)
	}
	if tc.ModelID != "sess1:train:0" {
		t.Fatalf("model id %q", tc.ModelID)
	}
	out, err := tc.ForwardBackward(ctx, ppoInput())
	if err != nil {
		t.Fatal(err)
	}
	if got := out.LossFnOutputs[0]["logprobs"].Floats; !reflect.DeepEqual(got, []float32{-0.5, -0.25, -2}) || out.Metrics["loss:sum"] != -1.5 {
		t.Errorf("result %v %v", got, out.Metrics)
	}
	if _, err := tc.Forward(ctx, ppoInput()); err != nil {
		t.Fatal(err)
	}
	adam := tinker.AdamParams{LearningRate: 1e-6, Beta1: 0.9, Beta2: 0.999, Eps: 1e-8, WeightDecay: 0.01, GradClipNorm: 1}
	st, err := tc.OptimStep(ctx, adam)
	if err != nil || st.Metrics["grad_norm:mean"] != 0.75 {
		t.Fatalf("optim_step: %v %v", st, err)
	}
	if p, err := tc.SaveWeights(ctx, "s1", false); err != nil || p != "tinker://sess1:train:0/weights/s1" {
		t.Fatalf("save_weights: %q %v", p, err)
	}
	if p, err := tc.SaveWeightsForSampler(ctx, "p1"); err != nil || !strings.HasSuffix(p, "/sampler_weights/p1") {
		t.Fatalf("save_weights_for_sampler: %q %v", p, err)
	}
	if err := tc.LoadWeights(ctx, "tinker://sess1:train:0/weights/s1", true); err != nil {
		t.Fatal(err)
	}

	// Bodies as the SDK writes them, each decoding strictly.
	cm := f.seen("create_model")[0]
	var cmr tinker.CreateModelRequest
	if err := cmr.UnmarshalJSON(cm.body); err != nil || cmr.SessionID != "sess1" || cmr.ModelSeqID != 0 || cmr.LoRAConfig.Rank != 8 || cmr.LoRAConfig.TrainUnembed {
		t.Errorf("create_model %s: %+v %v", cm.body, cmr, err)
	}
	var cs tinker.CreateSessionRequest
	if err := cs.UnmarshalJSON(f.seen("create_session")[0].body); err != nil || cs.Tags == nil || cs.SDKVersion == "" {
		t.Errorf("create_session %s: %v", f.seen("create_session")[0].body, err)
	}
	fbr, err := tinker.DecodeForwardBackwardJSON(f.seen("forward_backward")[0].body, false)
	if err != nil || fbr.ModelID != tc.ModelID || fbr.Input.LossFn != "ppo" || fbr.Input.LossFnConfig["clip_high_threshold"] != 1.2 ||
		!reflect.DeepEqual(fbr.Input.Data[0].LossFnInputs["advantages"].Floats, []float32{0, 0.5, 0.5}) {
		t.Errorf("forward_backward %s: %+v %v", f.seen("forward_backward")[0].body, fbr, err)
	}
	if _, err := tinker.DecodeForwardBackwardJSON(f.seen("forward")[0].body, true); err != nil {
		t.Errorf("forward %s: %v", f.seen("forward")[0].body, err)
	}
	var osr tinker.OptimStepRequest
	if err := osr.UnmarshalJSON(f.seen("optim_step")[0].body); err != nil || osr.AdamParams != adam {
		t.Errorf("optim_step %s: %+v %v", f.seen("optim_step")[0].body, osr.AdamParams, err)
	}
	if _, err := tinker.DecodeSaveWeights(f.seen("save_weights")[0].body, false); err != nil {
		t.Errorf("save_weights: %v", err)
	}
	if _, err := tinker.DecodeSaveWeights(f.seen("save_weights_for_sampler")[0].body, true); err != nil {
		t.Errorf("save_weights_for_sampler: %v", err)
	}
	var lw tinker.LoadWeightsRequest
	if err := lw.UnmarshalJSON(f.seen("load_weights")[0].body); err != nil || !lw.Optimizer {
		t.Errorf("load_weights: %+v %v", lw, err)
	}

	// seq_id 1, 2, … in call order across routes; one key per request.
	var seqs []int64
	keys := map[string]bool{}
	for _, cl := range f.calls {
		if k := cl.header.Get("X-Idempotency-Key"); k == "" || keys[k] {
			t.Errorf("%s: idempotency key %q missing or reused", cl.route, k)
		} else {
			keys[k] = true
		}
		switch cl.route {
		case "forward_backward", "forward", "optim_step", "save_weights", "save_weights_for_sampler", "load_weights":
			var v struct {
				SeqID int64 `json:"seq_id"`
			}
			json.Unmarshal(cl.body, &v)
			seqs = append(seqs, v.SeqID)
		}
	}
	if want := []int64{1, 2, 3, 4, 5, 6}; !reflect.DeepEqual(seqs, want) {
		t.Errorf("seq_ids %v, want %v", seqs, want)
	}

	// Each future was polled three times (two try_again), iterations
	// numbered from 0, with its request type.
	polls := f.seen("retrieve_future")
	if len(polls) != 3*7 {
		t.Fatalf("%d polls, want 21", len(polls))
	}
	types := []string{"CreateModel", "ForwardBackward", "Forward", "OptimStep", "SaveWeights", "SaveWeightsForSampler", "LoadWeights"}
	for i, p := range polls {
		if it := p.header.Get("X-Tinker-Request-Iteration"); it != fmt.Sprint(i%3) {
			t.Errorf("poll %d: iteration %q", i, it)
		}
		if typ := p.header.Get("X-Tinker-Request-Type"); typ != types[i/3] {
			t.Errorf("poll %d: type %q, want %q", i, typ, types[i/3])
		}
	}
	if acc := polls[3].header.Get("Accept"); !strings.Contains(acc, tinker.ProtoContentType) || !strings.Contains(acc, "application/json") {
		t.Errorf("forward_backward poll accepts %q", acc)
	}
}

// TestRetries: 408, 409, 429, 5xx answers and dropped connections are
// retried with growing delays (Retry-After obeyed) under the same
// idempotency key; other 4xx are final and name the route and the field.
func TestRetries(t *testing.T) {
	tests := []struct {
		name     string
		fail     func(w http.ResponseWriter)
		failures int
		err      string // want a final error containing this; "" = success
	}{
		{"408", func(w http.ResponseWriter) { writeJSON(w, 408, map[string]string{"detail": "timeout"}) }, 2, ""},
		{"409", func(w http.ResponseWriter) { writeJSON(w, 409, map[string]string{"detail": "conflict"}) }, 1, ""},
		{"429 retry-after", func(w http.ResponseWriter) {
			w.Header().Set("Retry-After", "0.015")
			writeJSON(w, 429, map[string]string{"detail": "busy"})
		}, 2, ""},
		{"500", func(w http.ResponseWriter) { writeJSON(w, 500, map[string]string{"detail": "oops"}) }, 3, ""},
		{"503 text", func(w http.ResponseWriter) { w.WriteHeader(503); io.WriteString(w, "upstream down") }, 2, ""},
		{"dropped connection", func(w http.ResponseWriter) {
			conn, _, _ := w.(http.Hijacker).Hijack()
			conn.Close()
		}, 2, ""},
		{"x-should-retry false", func(w http.ResponseWriter) {
			w.Header().Set("x-should-retry", "false")
			writeJSON(w, 503, map[string]string{"detail": "do not retry"})
		}, 1, "optim_step: HTTP 503: do not retry"},
		{"400 names the field", func(w http.ResponseWriter) {
			writeJSON(w, 400, map[string]string{"detail": "adam_params.beta1: 2: want a value in [0, 1)"})
		}, 1, "optim_step: HTTP 400: adam_params.beta1"},
		{"422 list", func(w http.ResponseWriter) {
			writeJSON(w, 422, map[string]any{"detail": []map[string]any{{"loc": []any{"body", "adam_params", "eps"}, "msg": "must be > 0"}}})
		}, 1, "body.adam_params.eps: must be > 0"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := newFake(t)
			n := 0
			f.routes["optim_step"] = func(w http.ResponseWriter, r *http.Request) {
				if n++; n <= tc.failures {
					tc.fail(w)
					return
				}
				f.futureOf(func() any { return map[string]any{"metrics": nil} })(w, r)
			}
			c := f.dial(t, nil)
			tcl, err := c.CreateModel(context.Background(), "m", tinker.LoRAConfig{Rank: 1, TrainAttn: true})
			if err != nil {
				t.Fatal(err)
			}
			_, err = tcl.OptimStep(context.Background(), tinker.DefaultAdamParams())
			calls := f.seen("optim_step")
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("error %v, want %q", err, tc.err)
				}
				if len(calls) != 1 {
					t.Errorf("%d attempts: a final answer must not be retried", len(calls))
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			// Go's transport itself replays a request whose reused
			// connection dropped (it carries an idempotency key) at once:
			// count and time only the attempts the server answered.
			dropped := tc.name == "dropped connection"
			if len(calls) != tc.failures+1 && !dropped {
				t.Fatalf("%d attempts, want %d", len(calls), tc.failures+1)
			}
			key := calls[0].header.Get("X-Idempotency-Key")
			for i, cl := range calls {
				if cl.header.Get("X-Idempotency-Key") != key {
					t.Errorf("attempt %d: key %q, want the first's %q", i, cl.header.Get("X-Idempotency-Key"), key)
				}
				// Timers never fire early: each retry waits at least its
				// doubled backoff (1, 2, 4 ms …), whatever the load.
				if i >= 1 && !dropped {
					if gap, want := cl.arrived.Sub(calls[i-1].arrived), time.Millisecond<<(i-1); gap < want {
						t.Errorf("attempt %d came %v after the last: want a backoff of at least %v", i, gap, want)
					}
				}
			}
			if strings.HasPrefix(tc.name, "429") && calls[1].arrived.Sub(calls[0].arrived) < 14*time.Millisecond {
				t.Errorf("retried after %v: Retry-After asked 15 ms", calls[1].arrived.Sub(calls[0].arrived))
			}
		})
	}
}

// TestFuturePolling: a future answered 408 (a long-poll that timed out),
// complete_metadata, then 5xx keeps being polled; a failed request is a
// RequestFailedError with the server's message and category, and SkyRL's
// 400 for a failed request one too.
func TestFuturePolling(t *testing.T) {
	f := newFake(t)
	f.pending = 0
	var answers []func(w http.ResponseWriter)
	f.routes["optim_step"] = func(w http.ResponseWriter, r *http.Request) {
		f.answerFuture(w, func(w http.ResponseWriter, _ *http.Request) {
			a := answers[0]
			answers = answers[1:]
			a(w)
		})
	}
	c := f.dial(t, nil)
	tcl, err := c.CreateModel(context.Background(), "m", tinker.LoRAConfig{Rank: 1, TrainAttn: true})
	if err != nil {
		t.Fatal(err)
	}
	answers = []func(w http.ResponseWriter){
		func(w http.ResponseWriter) { writeJSON(w, 408, map[string]any{"queue_state": "active"}) },
		func(w http.ResponseWriter) {
			writeJSON(w, 200, map[string]any{"status": "complete_metadata", "response_payload_size": 10})
		},
		func(w http.ResponseWriter) { writeJSON(w, 502, map[string]any{"detail": "bad gateway"}) },
		func(w http.ResponseWriter) {
			writeJSON(w, 200, map[string]any{"metrics": map[string]float64{"step:max": 1}})
		},
	}
	st, err := tcl.OptimStep(context.Background(), tinker.DefaultAdamParams())
	if err != nil || st.Metrics["step:max"] != 1 {
		t.Fatalf("%v %v", st, err)
	}
	answers = []func(w http.ResponseWriter){func(w http.ResponseWriter) {
		writeJSON(w, 200, map[string]any{"error": "optim_step: no gradient", "category": "user"})
	}}
	_, err = tcl.OptimStep(context.Background(), tinker.DefaultAdamParams())
	var rf *RequestFailedError
	if !errors.As(err, &rf) || rf.Category != "user" || !strings.Contains(err.Error(), "optim_step request req-") || !strings.Contains(err.Error(), "no gradient") {
		t.Errorf("error %v, want a RequestFailedError naming optim_step", err)
	}
	answers = []func(w http.ResponseWriter){func(w http.ResponseWriter) { writeJSON(w, 400, map[string]any{"detail": "lr too high"}) }}
	if _, err = tcl.OptimStep(context.Background(), tinker.DefaultAdamParams()); !errors.As(err, &rf) || !strings.Contains(err.Error(), "lr too high") {
		t.Errorf("SkyRL's failed future: %v", err)
	}
}

// TestServerDies: a server that goes away mid-run makes the next call fail
// within RetryFor with an error naming the route and the address, whether
// it dies between requests or while a result is awaited.
func TestServerDies(t *testing.T) {
	for _, when := range []string{"between requests", "while polling"} {
		t.Run(when, func(t *testing.T) {
			f := newFake(t)
			f.pending = 0
			f.routes["forward_backward"] = f.futureOf(func() any { return fbOutput(1) })
			c := f.dial(t, func(o *Options) { o.RetryFor = 300 * time.Millisecond })
			tcl, err := c.CreateModel(context.Background(), "m", tinker.LoRAConfig{Rank: 1, TrainAttn: true})
			if err != nil {
				t.Fatal(err)
			}
			f.mu.Lock()
			f.pending = 1 << 30 // forward_backward never finishes
			f.mu.Unlock()
			if when == "between requests" {
				f.srv.CloseClientConnections()
				f.srv.Close()
			} else {
				go func() {
					for len(f.seen("retrieve_future")) < 3 {
						time.Sleep(time.Millisecond)
					}
					f.srv.CloseClientConnections()
					f.srv.Close()
				}()
			}
			start := time.Now()
			_, err = tcl.ForwardBackward(context.Background(), ppoInput())
			var ue *UnreachableError
			if !errors.As(err, &ue) || !strings.Contains(err.Error(), f.srv.URL) || !strings.Contains(err.Error(), "is the server still running") {
				t.Fatalf("error %v, want an UnreachableError naming %s", err, f.srv.URL)
			}
			if !strings.Contains(err.Error(), "forward_backward") && !strings.Contains(err.Error(), "retrieve_future") {
				t.Errorf("error %v names no route", err)
			}
			if d := time.Since(start); d > 2*time.Second {
				t.Errorf("gave up after %v, want about RetryFor (300 ms)", d)
			}
		})
	}
}

// TestSampling: asample carries the session, seq_ids 0, 1, … the prompt as
// token chunks and the sampling params (stop strings, seed), with the
// backpressure header; results decode from JSON and from protobuf, and
// compute_logprobs reads the prompt's logprobs, NaN for the first token.
func TestSampling(t *testing.T) {
	f := newFake(t)
	f.pending = 0
	useProto := false
	f.routes["create_sampling_session"] = func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, 200, map[string]any{"sampling_session_id": "sess1:sample:0"})
	}
	f.routes["asample"] = func(w http.ResponseWriter, r *http.Request) {
		var req tinker.SampleRequest
		body, _ := io.ReadAll(r.Body)
		if err := req.UnmarshalJSON(body); err != nil {
			writeJSON(w, 400, map[string]string{"detail": err.Error()})
			return
		}
		res := tinker.SampleResponse{Sequences: []tinker.SampledSequence{{Tokens: []int{7, 8}, Logprobs: []float32{-0.5, -1}, StopReason: "stop"}}}
		if req.PromptLogprobs {
			res.PromptLogprobs = []float32{float32(math.NaN()), -2, -3}
		}
		f.answerFuture(w, func(w http.ResponseWriter, r *http.Request) {
			if useProto && strings.Contains(r.Header.Get("Accept"), tinker.ProtoContentType) {
				w.Header().Set("Content-Type", tinker.ProtoContentType)
				w.Write(tinker.EncodeSampleResponse(res))
				return
			}
			b, _ := res.MarshalJSON()
			w.Header().Set("Content-Type", "application/json")
			w.Write(b)
		})
	}
	c := f.dial(t, nil)
	ctx := context.Background()
	s, err := c.CreateSamplingClient(ctx, "tinker://sess1:train:0/sampler_weights/p1", "")
	if err != nil {
		t.Fatal(err)
	}
	maxTokens, seed := 20, int64(42)
	p := tinker.SamplingParams{MaxTokens: &maxTokens, Seed: &seed, Stop: &tinker.Stop{Strings: []string{"</search>", "<|im_end|>"}}, Temperature: 1, TopK: -1, TopP: 1}
	for _, proto := range []bool{false, true} {
		useProto = proto
		res, err := s.Sample(ctx, []int{1, 2, 3}, 1, p, false)
		if err != nil {
			t.Fatal(err)
		}
		if sq := res.Sequences[0]; !reflect.DeepEqual(sq.Tokens, []int{7, 8}) || !reflect.DeepEqual(sq.Logprobs, []float32{-0.5, -1}) || sq.StopReason != "stop" {
			t.Errorf("proto %v: %+v", proto, sq)
		}
	}
	lps, err := s.ComputeLogprobs(ctx, []int{1, 2, 3})
	if err != nil {
		t.Fatal(err)
	}
	if !math.IsNaN(lps[0]) || lps[1] != -2 || lps[2] != -3 {
		t.Errorf("prompt logprobs %v", lps)
	}
	var css tinker.CreateSamplingSessionRequest
	if err := css.UnmarshalJSON(f.seen("create_sampling_session")[0].body); err != nil || css.SessionID != "sess1" || css.ModelPath == "" {
		t.Errorf("create_sampling_session: %+v %v", css, err)
	}
	for i, cl := range f.seen("asample") {
		var req tinker.SampleRequest
		if err := req.UnmarshalJSON(cl.body); err != nil {
			t.Fatalf("asample %s: %v", cl.body, err)
		}
		if req.SamplingSessionID != "sess1:sample:0" || req.SeqID == nil || *req.SeqID != int64(i) || cl.header.Get("X-Tinker-Sampling-Backpressure") != "1" {
			t.Errorf("asample %d: %s", i, cl.body)
		}
		if i < 2 && (*req.SamplingParams.Seed != 42 || !reflect.DeepEqual(req.SamplingParams.Stop.Strings, []string{"</search>", "<|im_end|>"}) || !reflect.DeepEqual(req.Prompt.Tokens(), []int{1, 2, 3})) {
			t.Errorf("asample %d: params %s", i, cl.body)
		}
		if i == 2 && (!req.PromptLogprobs || *req.SamplingParams.MaxTokens != 1) {
			t.Errorf("compute_logprobs: %s", cl.body)
		}
	}
}

// TestProtoForwardBackward: when client/config asks for protobuf
// (proto_write_fwdbwd), forward_backward goes as SDK 0.25's protobuf, and
// a forward-only pass as forward_backward with forward_only set.
func TestProtoForwardBackward(t *testing.T) {
	f := newFake(t)
	f.config["proto_write_fwdbwd"] = true
	f.pending = 0
	f.routes["forward_backward"] = func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		req, err := tinker.DecodeForwardBackwardRequest(body)
		if err != nil || r.Header.Get("Content-Type") != tinker.ProtoContentType {
			writeJSON(w, 400, map[string]string{"detail": fmt.Sprintf("not protobuf: %v", err)})
			return
		}
		f.answerFuture(w, func(w http.ResponseWriter, _ *http.Request) {
			out := fbOutput(len(req.Input.Data))
			out.Metrics["forward_only:max"] = map[bool]float64{false: 0, true: 1}[req.ForwardOnly]
			w.Header().Set("Content-Type", tinker.ProtoContentType)
			w.Write(tinker.EncodeForwardBackwardOutput(out))
		})
	}
	c := f.dial(t, nil)
	tcl, err := c.CreateModel(context.Background(), "m", tinker.LoRAConfig{Rank: 1, TrainAttn: true})
	if err != nil {
		t.Fatal(err)
	}
	for _, fwd := range []bool{false, true} {
		var out *tinker.ForwardBackwardOutput
		if fwd {
			out, err = tcl.Forward(context.Background(), ppoInput())
		} else {
			out, err = tcl.ForwardBackward(context.Background(), ppoInput())
		}
		if err != nil {
			t.Fatal(err)
		}
		if out.Metrics["forward_only:max"] != map[bool]float64{false: 0, true: 1}[fwd] || len(out.LossFnOutputs[0]["logprobs"].Floats) != 3 {
			t.Errorf("forward only %v: %+v", fwd, out)
		}
	}
}

// TestHeartbeat: the session's heartbeat names it, every period.
func TestHeartbeat(t *testing.T) {
	f := newFake(t)
	c := f.dial(t, func(o *Options) { o.Heartbeat = 5 * time.Millisecond })
	deadline := time.Now().Add(2 * time.Second)
	for len(f.seen("session_heartbeat")) < 2 && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	c.Close()
	hb := f.seen("session_heartbeat")
	if len(hb) < 2 {
		t.Fatalf("%d heartbeats", len(hb))
	}
	var req tinker.SessionHeartbeatRequest
	if err := req.UnmarshalJSON(hb[0].body); err != nil || req.SessionID != "sess1" {
		t.Errorf("heartbeat %s: %v", hb[0].body, err)
	}
}

// TestDialRefuses: a bad URL and a wrong key fail at Dial, naming them.
func TestDialRefuses(t *testing.T) {
	if _, err := Dial(context.Background(), Options{BaseURL: "localhost:8000"}); err == nil || !strings.Contains(err.Error(), "base URL") {
		t.Errorf("bad URL: %v", err)
	}
	f := newFake(t)
	_, err := Dial(context.Background(), Options{BaseURL: f.srv.URL, APIKey: "wrong"})
	if err == nil || !strings.Contains(err.Error(), "client/config: HTTP 401") {
		t.Errorf("bad key: %v", err)
	}
}
