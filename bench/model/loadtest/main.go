// Command loadtest starts serve-model's server on loopback over the tiny
// random Qwen2 model (internal/tinymodel: 2 layers, 258 byte-level ids) and
// drives it with concurrent clients mixing completions and chat, streamed
// and not, without stop strings (issue 19.1's crash), with bad requests
// (top_k -5, an unknown field, max_tokens past the context, an unknown
// route) for a given duration. It prints the load held, p50/p99 latency,
// peak RSS (server and load generator share the process), requests shed
// with 503, 5xx and dropped connections, and exits non-zero on any 5xx
// other than a shed 503, a wrong status or a cut stream.
//
//	go run ./model/loadtest --duration 60s --clients 64
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"math/rand/v2"
	"net"
	"os"
	"time"

	"research/generate"
	"research/generate/server"
	"research/internal/httpserve"
	"research/internal/tinymodel"
	"research/model"
	"research/search/server/loadtest"
)

func main() {
	clients := flag.Int("clients", 64, "concurrent clients")
	duration := flag.Duration("duration", 60*time.Second, "how long to run")
	maxInFlight := flag.Int("max-in-flight", 64, "the server's bound on requests in flight")
	maxTokens := flag.Int("max-tokens", 16, "max_tokens of the good requests")
	flag.Parse()
	if err := run(*clients, *maxInFlight, *maxTokens, *duration); err != nil {
		fmt.Fprintln(os.Stderr, "loadtest:", err)
		os.Exit(1)
	}
}

func run(clients, maxInFlight, maxTokens int, duration time.Duration) error {
	m, err := model.Load(tinymodel.Dir())
	if err != nil {
		return fmt.Errorf("tiny model: %w", err)
	}
	defer m.Close()
	tok, err := tinymodel.Tokenizer()
	if err != nil {
		return err
	}
	dec := generate.DecoderFunc(func(ids []int) string { s, _ := tok.Decode(ids, false); return s })
	e, err := generate.NewEngine(m, generate.Options{Decoder: dec})
	if err != nil {
		return err
	}
	defer e.Close()
	h, err := server.New(server.Config{Engine: e, Tokenizer: tok, ModelName: "tiny", EOSIDs: []int{tinymodel.EndOfText},
		MaxContext: m.Config.MaxPositions, MaxInFlight: maxInFlight, Timeout: time.Minute})
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	ctx, stop := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- httpserve.Serve(ctx, ln, h, httpserve.Timeouts{ReadHeader: 10 * time.Second, Read: time.Minute, Idle: time.Minute, Shutdown: 30 * time.Second})
	}()
	rep, err := loadtest.Run(context.Background(), loadtest.Options{
		BaseURL: "http://" + ln.Addr().String(), Clients: clients, Duration: duration,
		Mix: func(rng *rand.Rand) loadtest.Request { return mix(rng, maxTokens, m.Config.MaxPositions) },
	})
	stop()
	if serr := <-done; err == nil {
		err = serr
	}
	if err != nil {
		return err
	}
	fmt.Printf("tiny model, %d clients, at most %d requests in flight, max_tokens %d: %s\n", clients, maxInFlight, maxTokens, rep)
	if rep.ServerErrs > 0 || rep.Dropped > 0 || rep.Unexpected > 0 {
		return fmt.Errorf("failures; first: %s", rep.FirstIssue)
	}
	return nil
}

// mix draws a request: about three quarters good ones over both routes,
// streamed or not, the rest bad.
func mix(rng *rand.Rand, maxTokens, context int) loadtest.Request {
	body := func(v map[string]any) string { b, _ := json.Marshal(v); return string(b) }
	prompt := fmt.Sprintf("question %d:", rng.IntN(1000))
	chat := []map[string]string{{"role": "system", "content": "s"}, {"role": "user", "content": prompt}}
	switch rng.IntN(12) {
	case 0, 1, 2:
		return loadtest.Request{Method: "POST", Path: "/v1/completions", Want: 200,
			Body: body(map[string]any{"model": "tiny", "prompt": prompt, "max_tokens": maxTokens, "temperature": 1, "stream": rng.IntN(2) == 0})}
	case 3, 4:
		return loadtest.Request{Method: "POST", Path: "/v1/completions", Want: 200,
			Body: body(map[string]any{"prompt": prompt, "max_tokens": maxTokens, "n": 2, "logprobs": 1, "stream": true})}
	case 5, 6, 7:
		return loadtest.Request{Method: "POST", Path: "/v1/chat/completions", Want: 200,
			Body: body(map[string]any{"messages": chat, "max_tokens": maxTokens, "stream": rng.IntN(2) == 0})}
	case 8:
		return loadtest.Request{Method: "POST", Path: "/v1/completions", Want: 400, Body: body(map[string]any{"prompt": prompt, "top_k": -5})}
	case 9:
		return loadtest.Request{Method: "POST", Path: "/v1/completions", Want: 400, Body: body(map[string]any{"prompt": prompt, "temprature": 0})}
	case 10:
		return loadtest.Request{Method: "POST", Path: "/v1/completions", Want: 400, Body: body(map[string]any{"prompt": prompt, "max_tokens": context + 1})}
	}
	return loadtest.Request{Method: "GET", Path: "/v1/nothing", Want: 404}
}
