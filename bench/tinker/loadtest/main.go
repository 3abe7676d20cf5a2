// Command loadtest starts the Tinker server (serve-tinker's handler) on
// loopback over the tiny random Qwen2 model (internal/tinymodel), creates a
// session and a LoRA model on it, and drives it with concurrent clients
// for a given duration, sending the SDK's X-API-Key. The mix is mostly the
// cheap calls an SDK makes around training: healthz,
// get_server_capabilities, create_session followed by a heartbeat of the
// new session, session_heartbeat and get_info on the model; bad requests
// that must get their 400 or 404 naming the field (an unknown key, a
// number for a string, an unknown model id, an unknown future); and a
// small share of forward_backward on a few tokens followed by
// retrieve_future of its result. The single executor makes these the
// expensive part, so they stay few: the test measures the HTTP layer and
// the bound on queued jobs (--max-queued), whose 429s with Retry-After
// count as shed. It prints the load held, p50/p99 latency, peak RSS
// (server and load generator share the process), requests shed, 5xx and
// dropped connections, and exits non-zero on any 5xx other than a shed
// 503, a wrong status, a 4xx that does not name its field or a dropped
// connection.
//
//	go run -C bench ./tinker/loadtest --duration 60s --clients 64
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"time"

	"research/internal/httpserve"
	"research/internal/tinymodel"
	"research/model"
	"research/search/server/loadtest"
	"research/tinker"
	"research/tinker/server"
)

// apiKey is the key the server requires and every request carries, as
// the SDK sends it.
const apiKey = "tml-loadtest"

func main() {
	clients := flag.Int("clients", 64, "concurrent clients")
	duration := flag.Duration("duration", 60*time.Second, "how long to run")
	maxQueued := flag.Int("max-queued", 16, "the server's bound on jobs queued or running")
	flag.Parse()
	if err := run(*clients, *maxQueued, *duration); err != nil {
		fmt.Fprintln(os.Stderr, "loadtest:", err)
		os.Exit(1)
	}
}

func run(clients, maxQueued int, duration time.Duration) error {
	m, err := model.Load(tinymodel.Dir())
	if err != nil {
		return fmt.Errorf("tiny model: %w", err)
	}
	defer m.Close()
	dataDir, err := os.MkdirTemp("", "tinker-loadtest-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dataDir)
	// A long-poll shorter than the run, so that a client whose job waits
	// behind others gets try_again and goes on, as the SDK does.
	s, err := server.New(server.Config{Model: m, Name: "tiny", DataDir: dataDir, APIKey: apiKey,
		MaxQueued: maxQueued, LongPoll: 2 * time.Second, Log: io.Discard})
	if err != nil {
		return err
	}
	defer s.Close()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	ctx, stop := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- httpserve.Serve(ctx, ln, s, httpserve.Timeouts{ReadHeader: 10 * time.Second, Read: time.Minute, Idle: time.Minute, Shutdown: 30 * time.Second})
	}()
	base := "http://" + ln.Addr().String()
	sessionID, modelID, err := setup(base)
	if err == nil {
		var fb []byte
		fb, err = forwardBackward(modelID)
		if err == nil {
			var rep loadtest.Report
			rep, err = loadtest.Run(context.Background(), loadtest.Options{
				BaseURL: base, Clients: clients, Duration: duration, Header: http.Header{"X-Api-Key": {apiKey}},
				Mix: func(rng *rand.Rand) loadtest.Request { return mix(rng, sessionID, modelID, fb) },
			})
			if err == nil {
				fmt.Printf("tinker, tiny model, %d clients, at most %d jobs queued: %s\n", clients, maxQueued, rep)
				if rep.ServerErrs > 0 || rep.Dropped > 0 || rep.Unexpected > 0 {
					err = fmt.Errorf("failures; first: %s", rep.FirstIssue)
				}
			}
		}
	}
	stop()
	if serr := <-done; err == nil {
		err = serr
	}
	return err
}

// mix draws a request: about four fifths cheap good calls, a tenth bad
// ones, and one in twenty a forward_backward whose result the same client
// retrieves next.
func mix(rng *rand.Rand, sessionID, modelID string, fb []byte) loadtest.Request {
	post := func(route, body string, want int, field string) loadtest.Request {
		return loadtest.Request{Method: "POST", Path: "/api/v1/" + route, Body: body, Want: want, Contains: field}
	}
	switch rng.IntN(20) {
	case 0, 1, 2:
		return loadtest.Request{Method: "GET", Path: "/api/v1/healthz", Want: 200}
	case 3, 4:
		return loadtest.Request{Method: "GET", Path: "/api/v1/get_server_capabilities", Want: 200}
	case 5, 6:
		r := post("create_session", `{"tags": [], "user_metadata": {}, "sdk_version": "0.25.0", "type": "create_session"}`, 200, "")
		r.Then = func(body []byte) (loadtest.Request, bool) {
			var sess tinker.CreateSessionResponse
			if json.Unmarshal(body, &sess) != nil || sess.SessionID == "" {
				return loadtest.Request{}, false
			}
			return post("session_heartbeat", fmt.Sprintf(`{"session_id": %q, "type": "session_heartbeat"}`, sess.SessionID), 200, ""), true
		}
		return r
	case 7, 8, 9:
		return post("session_heartbeat", fmt.Sprintf(`{"session_id": %q, "type": "session_heartbeat"}`, sessionID), 200, "")
	case 10, 11, 12, 13:
		return post("get_info", fmt.Sprintf(`{"model_id": %q, "type": "get_info"}`, modelID), 200, "")
	case 14:
		return post("get_info", fmt.Sprintf(`{"model_id": %q, "type": "get_info", "mask": 1}`, modelID), 400, "mask")
	case 15:
		return post("get_info", `{"model_id": 7, "type": "get_info"}`, 400, "model_id")
	case 16:
		return post("get_info", fmt.Sprintf(`{"model_id": "nope-%d", "type": "get_info"}`, rng.IntN(1000)), 404, "model_id")
	case 17:
		return post("retrieve_future", fmt.Sprintf(`{"request_id": "req-unknown-%d"}`, rng.IntN(1000)), 404, "request_id")
	case 18:
		return post("session_heartbeat", `{"session_id": "nope", "type": "session_heartbeat"}`, 404, "session_id")
	}
	r := post("forward_backward", string(fb), 200, "")
	r.Then = func(body []byte) (loadtest.Request, bool) {
		var f tinker.UntypedAPIFuture
		if json.Unmarshal(body, &f) != nil || f.RequestID == "" {
			return loadtest.Request{}, false
		}
		return post("retrieve_future", fmt.Sprintf(`{"request_id": %q, "allow_metadata_only": true}`, f.RequestID), 200, ""), true
	}
	return r
}

// forwardBackward is the body of a cross_entropy forward_backward of one
// 8-token datum: the smallest job that runs the whole training path.
func forwardBackward(modelID string) ([]byte, error) {
	seq := []int{104, 101, 108, 108, 111, 32, 116, 104, 101}
	targets := make([]int64, len(seq)-1)
	weights := make([]float32, len(seq)-1)
	for i := range targets {
		targets[i], weights[i] = int64(seq[i+1]), 1
	}
	return json.Marshal(tinker.ForwardBackwardRequest{ModelID: modelID, Input: tinker.ForwardBackwardInput{LossFn: "cross_entropy",
		Data: []tinker.Datum{{ModelInput: tinker.TextInput(seq[:len(seq)-1]),
			LossFnInputs: tinker.LossFnInputs{"target_tokens": tinker.IntTensor(targets), "weights": tinker.FloatTensor(weights)}}}}})
}

// setup creates the session and the LoRA model the mix uses, as the SDK
// does: create_session, then create_model and its future.
func setup(base string) (sessionID, modelID string, err error) {
	var sess tinker.CreateSessionResponse
	if err := call(base, "create_session", `{"tags": [], "sdk_version": "0.25.0", "type": "create_session"}`, &sess); err != nil {
		return "", "", err
	}
	var f tinker.UntypedAPIFuture
	if err := call(base, "create_model", fmt.Sprintf(`{"session_id": %q, "model_seq_id": 0, "base_model": "tiny", "lora_config": {"rank": 8, "seed": 1}, "type": "create_model"}`, sess.SessionID), &f); err != nil {
		return "", "", err
	}
	for range 30 {
		var res struct {
			Type string `json:"type"`
			tinker.CreateModelResponse
		}
		if err := call(base, "retrieve_future", fmt.Sprintf(`{"request_id": %q}`, f.RequestID), &res); err != nil {
			return "", "", err
		}
		if res.ModelID != "" {
			return sess.SessionID, res.ModelID, nil
		}
	}
	return "", "", fmt.Errorf("create_model %s: no result", f.RequestID)
}

// call posts body to route and decodes the 200 answer into out.
func call(base, route, body string, out any) error {
	req, err := http.NewRequest("POST", base+"/api/v1/"+route, bytes.NewReader([]byte(body)))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-API-Key", apiKey)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		return err
	}
	if resp.StatusCode != 200 {
		return fmt.Errorf("%s: %d %s", route, resp.StatusCode, data)
	}
	return json.Unmarshal(data, out)
}
