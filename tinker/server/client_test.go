package server

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"research/internal/tinymodel"
	"research/model"
	"research/tinker"
	"research/tokenizer"
)

// sdk is a client that sends requests shaped as the official SDK sends
// them: X-API-Key, Stainless headers, an idempotency key per call, JSON
// bodies (or the protobuf of forward_backward), and retrieve_future polls
// with the SDK's headers until the result is there.
type sdk struct {
	t     *testing.T
	base  string
	key   string
	calls atomic.Int64
}

// newServer serves the tiny model under the name "tiny".
func newServer(t *testing.T, mod func(*Config)) (*Server, *sdk) {
	t.Helper()
	m, err := model.Load(tinymodel.Dir())
	if err != nil {
		t.Fatal(err)
	}
	tok, err := tinymodel.Tokenizer()
	if err != nil {
		t.Fatal(err)
	}
	cfg := Config{Model: m, Name: "tiny", DataDir: t.TempDir(), Decoder: decoder{tok}, LongPoll: 2 * time.Second, Log: io.Discard}
	if mod != nil {
		mod(&cfg)
	}
	s, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(s)
	t.Cleanup(func() { hs.Close(); s.Close(); m.Close() })
	return s, &sdk{t: t, base: hs.URL + "/api/v1/", key: "tml-test"}
}

type decoder struct{ tok *tokenizer.Tokenizer }

func (d decoder) Decode(ids []int) string { s, _ := d.tok.Decode(ids, false); return s }

// do sends one request and returns the status, body and content type.
func (c *sdk) do(method, route string, body []byte, header ...string) (int, []byte, string) {
	c.t.Helper()
	req, err := http.NewRequest(method, c.base+route, bytes.NewReader(body))
	if err != nil {
		c.t.Fatal(err)
	}
	req.Header.Set("X-API-Key", c.key)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", "AsyncTinker/Python 0.25.0")
	req.Header.Set("X-Stainless-Package-Version", "0.25.0")
	if method != "GET" {
		req.Header.Set("X-Idempotency-Key", fmt.Sprintf("stainless-python-retry-%d", c.calls.Add(1)))
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer resp.Body.Close()
	out, err := io.ReadAll(resp.Body)
	if err != nil {
		c.t.Fatal(err)
	}
	return resp.StatusCode, out, resp.Header.Get("Content-Type")
}

// post sends a JSON body (a string is sent as is) and wants 200.
func (c *sdk) post(route string, body any, out any) {
	c.t.Helper()
	status, data, _ := c.do("POST", route, jsonBody(c.t, body))
	if status != 200 {
		c.t.Fatalf("POST %s: %d %s", route, status, data)
	}
	if out != nil {
		if err := json.Unmarshal(data, out); err != nil {
			c.t.Fatalf("POST %s: %v: %s", route, err, data)
		}
	}
}

func jsonBody(t *testing.T, body any) []byte {
	if s, ok := body.(string); ok {
		return []byte(s)
	}
	b, err := json.Marshal(body)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// submit posts a request whose answer is a future and returns its id.
func (c *sdk) submit(route string, body any, header ...string) string {
	c.t.Helper()
	status, data, _ := c.do("POST", route, jsonBody(c.t, body), header...)
	if status != 200 {
		c.t.Fatalf("POST %s: %d %s", route, status, data)
	}
	var f tinker.UntypedAPIFuture
	if err := json.Unmarshal(data, &f); err != nil || f.RequestID == "" {
		c.t.Fatalf("POST %s: not a future: %s", route, data)
	}
	return f.RequestID
}

// poll retrieves a future as the SDK does, polling again on try_again;
// it returns the body and its content type, or the failure.
func (c *sdk) poll(id, typ string, proto bool) ([]byte, string, *tinker.RequestFailedResponse) {
	c.t.Helper()
	accept := "application/json"
	if proto {
		accept = tinker.ProtoContentType
	}
	for i := 0; ; i++ {
		status, data, ct := c.do("POST", "retrieve_future", jsonBody(c.t, map[string]any{"request_id": id, "allow_metadata_only": true}),
			"Accept", accept, "X-Tinker-Request-Iteration", fmt.Sprint(i), "X-Tinker-Request-Type", typ)
		if status != 200 {
			c.t.Fatalf("retrieve_future %s: %d %s", id, status, data)
		}
		if strings.HasPrefix(ct, "application/json") {
			var probe map[string]json.RawMessage
			json.Unmarshal(data, &probe)
			if string(probe["type"]) == `"try_again"` {
				if i > 60 {
					c.t.Fatalf("future %s still pending after %d polls", id, i)
				}
				continue
			}
			if _, ok := probe["error"]; ok {
				var f tinker.RequestFailedResponse
				json.Unmarshal(data, &f)
				return nil, ct, &f
			}
		}
		return data, ct, nil
	}
}

// result polls a future and decodes its JSON result into out.
func (c *sdk) result(id, typ string, out any) {
	c.t.Helper()
	data, _, failed := c.poll(id, typ, false)
	if failed != nil {
		c.t.Fatalf("%s %s failed: %+v", typ, id, failed)
	}
	if err := json.Unmarshal(data, out); err != nil {
		c.t.Fatalf("%s result: %v: %s", typ, err, data)
	}
}

// fwdbwd sends a forward_backward (JSON as SDK ≤ 0.24, or protobuf as SDK
// 0.25) and returns its output, read as JSON or protobuf likewise.
func (c *sdk) fwdbwd(req tinker.ForwardBackwardRequest, proto bool) tinker.ForwardBackwardOutput {
	c.t.Helper()
	var id string
	typ := "ForwardBackward"
	if proto {
		id = c.submit("forward_backward", string(tinker.EncodeForwardBackwardRequest(req)), "Content-Type", tinker.ProtoContentType)
	} else {
		route := "forward_backward"
		if req.ForwardOnly {
			route, typ = "forward", "Forward"
		}
		id = c.submit(route, req)
	}
	data, ct, failed := c.poll(id, typ, proto)
	if failed != nil {
		c.t.Fatalf("forward_backward failed: %+v", failed)
	}
	var out tinker.ForwardBackwardOutput
	var err error
	if proto {
		if ct != tinker.ProtoContentType {
			c.t.Fatalf("asked for protobuf, got %s: %s", ct, data)
		}
		out, err = tinker.DecodeForwardBackwardOutput(data)
	} else {
		err = json.Unmarshal(data, &out)
	}
	if err != nil {
		c.t.Fatalf("forward_backward output: %v", err)
	}
	return out
}

// optim sends optim_step with the given learning rate and waits for it.
func (c *sdk) optim(modelID string, seq int64, lr float64) map[string]float64 {
	c.t.Helper()
	id := c.submit("optim_step", map[string]any{"adam_params": map[string]any{"learning_rate": lr, "beta1": 0.9, "beta2": 0.95, "eps": 1e-12, "weight_decay": 0.0, "grad_clip_norm": 0.0},
		"model_id": modelID, "seq_id": seq, "type": "optim_step"})
	var out tinker.OptimStepResponse
	c.result(id, "OptimStep", &out)
	return out.Metrics
}
