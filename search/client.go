package search

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"
)

// Protocol selects the wire format a Client speaks.
type Protocol int

const (
	// FlashRAG is the ReSearch/FlashRAG server: POST /batch_search.
	FlashRAG Protocol = iota
	// SearchR1 is the Search-R1/veRL server: POST /retrieve.
	SearchR1
)

// ParseProtocol maps "flashrag" (or "research") and "search-r1" (or
// "searchr1", "retrieve") to a Protocol.
func ParseProtocol(s string) (Protocol, error) {
	switch strings.ToLower(s) {
	case "flashrag", "research", "batch_search":
		return FlashRAG, nil
	case "search-r1", "searchr1", "retrieve":
		return SearchR1, nil
	}
	return 0, fmt.Errorf("unknown search protocol %q (want flashrag or search-r1)", s)
}

// Client is a Retriever that calls a remote search server. Its zero limits
// take defaults; set fields before the first Search.
type Client struct {
	// BaseURL is the server root, e.g. http://127.0.0.1:8000.
	BaseURL  string
	Protocol Protocol
	// APIKey, if set, is sent as a bearer token.
	APIKey string
	// HTTP is the client to use (default: one with a 60 s timeout).
	HTTP *http.Client
	// Retries is how many times a failed request is retried after the
	// first try (default 3; negative means none). Network errors, 429 and
	// 5xx are retried; other 4xx are the caller's mistake and are not.
	Retries int
	// Backoff is the wait before the first retry, doubled each time
	// (default 200 ms).
	Backoff time.Duration
}

var defaultHTTP = &http.Client{Timeout: 60 * time.Second}

// Search sends the queries in one request and returns the k best passages of
// each. It returns an error, never partial results, when the last try fails.
func (c *Client) Search(ctx context.Context, queries []string, k int) ([][]Doc, error) {
	if k <= 0 {
		return nil, fmt.Errorf("search client: k = %d, want k > 0", k)
	}
	if len(queries) == 0 {
		return [][]Doc{}, nil
	}
	path, body := "/batch_search", any(map[string]any{"query": queries, "top_n": k, "return_score": true})
	if c.Protocol == SearchR1 {
		path, body = "/retrieve", map[string]any{"queries": queries, "topk": k, "return_scores": true}
	}
	raw, err := json.Marshal(body)
	if err != nil {
		return nil, err
	}
	resp, err := c.post(ctx, path, raw)
	if err != nil {
		return nil, err
	}
	var docs [][]Doc
	if c.Protocol == SearchR1 {
		docs, err = decodeRetrieve(resp)
	} else {
		docs, err = decodeBatchSearch(resp)
	}
	if err != nil {
		return nil, fmt.Errorf("search client: %s%s: %w", c.BaseURL, path, err)
	}
	if len(docs) != len(queries) {
		return nil, fmt.Errorf("search client: %s%s: %d results for %d queries", c.BaseURL, path, len(docs), len(queries))
	}
	return docs, nil
}

// post sends body with retries and returns the body of a 200 response.
func (c *Client) post(ctx context.Context, path string, body []byte) ([]byte, error) {
	hc := c.HTTP
	if hc == nil {
		hc = defaultHTTP
	}
	retries := c.Retries
	if retries == 0 {
		retries = 3
	}
	backoff := c.Backoff
	if backoff <= 0 {
		backoff = 200 * time.Millisecond
	}
	url := strings.TrimRight(c.BaseURL, "/") + path
	var lastErr error
	for try := 0; try <= max(retries, 0); try++ {
		if try > 0 {
			select {
			case <-time.After(backoff << (try - 1)):
			case <-ctx.Done():
				return nil, fmt.Errorf("search client: %s: %w (last error: %v)", url, ctx.Err(), lastErr)
			}
		}
		out, retry, err := c.try(ctx, hc, url, body)
		if err == nil {
			return out, nil
		}
		lastErr = err
		if !retry || ctx.Err() != nil {
			break
		}
	}
	return nil, fmt.Errorf("search client: %s: %w", url, lastErr)
}

// try sends one request; retry says whether a failure is worth retrying.
func (c *Client) try(ctx context.Context, hc *http.Client, url string, body []byte) (out []byte, retry bool, err error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return nil, false, err
	}
	req.Header.Set("Content-Type", "application/json")
	if c.APIKey != "" {
		req.Header.Set("Authorization", "Bearer "+c.APIKey)
	}
	resp, err := hc.Do(req)
	if err != nil {
		return nil, true, err
	}
	defer resp.Body.Close()
	out, err = io.ReadAll(io.LimitReader(resp.Body, 1<<30))
	if err != nil {
		return nil, true, err
	}
	if resp.StatusCode != http.StatusOK {
		retry = resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode >= 500
		return nil, retry, fmt.Errorf("HTTP %d: %s", resp.StatusCode, bytes.TrimSpace(out[:min(len(out), 512)]))
	}
	return out, false, nil
}

type wireDoc struct {
	ID       *string `json:"id"`
	Contents *string `json:"contents"`
}

func (w wireDoc) doc(score float64) (Doc, error) {
	if w.ID == nil || w.Contents == nil {
		return Doc{}, errors.New(`document without "id" or "contents"`)
	}
	d := Doc{ID: *w.ID, Contents: *w.Contents, Score: score}
	d.Title, d.Text = SplitContents(d.Contents)
	return d, nil
}

// decodeBatchSearch reads [[[docs]...], [[scores]...]].
func decodeBatchSearch(body []byte) ([][]Doc, error) {
	var pair []json.RawMessage
	if err := json.Unmarshal(body, &pair); err != nil || len(pair) != 2 {
		return nil, fmt.Errorf("want [[docs...], [scores...]], got %.200s", body)
	}
	var docs [][]wireDoc
	var scores [][]float64
	if err := json.Unmarshal(pair[0], &docs); err != nil {
		return nil, fmt.Errorf("documents: %w", err)
	}
	if err := json.Unmarshal(pair[1], &scores); err != nil {
		return nil, fmt.Errorf("scores: %w", err)
	}
	if len(scores) != len(docs) {
		return nil, fmt.Errorf("%d document lists but %d score lists", len(docs), len(scores))
	}
	out := make([][]Doc, len(docs))
	for i := range docs {
		if len(scores[i]) != len(docs[i]) {
			return nil, fmt.Errorf("query %d: %d documents but %d scores", i, len(docs[i]), len(scores[i]))
		}
		out[i] = make([]Doc, len(docs[i]))
		for j, w := range docs[i] {
			d, err := w.doc(scores[i][j])
			if err != nil {
				return nil, fmt.Errorf("query %d result %d: %w", i, j, err)
			}
			out[i][j] = d
		}
	}
	return out, nil
}

// decodeRetrieve reads {"result": [[{"document": doc, "score": s}...]...]}.
func decodeRetrieve(body []byte) ([][]Doc, error) {
	var resp struct {
		Result *[][]struct {
			Document wireDoc `json:"document"`
			Score    float64 `json:"score"`
		} `json:"result"`
	}
	if err := json.Unmarshal(body, &resp); err != nil || resp.Result == nil {
		return nil, fmt.Errorf(`want {"result": [[{"document", "score"}...]...]}, got %.200s`, body)
	}
	out := make([][]Doc, len(*resp.Result))
	for i, rs := range *resp.Result {
		out[i] = make([]Doc, len(rs))
		for j, r := range rs {
			d, err := r.Document.doc(r.Score)
			if err != nil {
				return nil, fmt.Errorf("query %d result %d: %w", i, j, err)
			}
			out[i][j] = d
		}
	}
	return out, nil
}
