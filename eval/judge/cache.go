package judge

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"sync"

	"research/internal/jsonl"
)

// CacheVersion is the format version of cache lines; lines of another
// version are refused.
const CacheVersion = 1

// Cache keeps verdicts in an append-only JSONL file, one line per verdict,
// synced as written, so that an interrupted run keeps what it paid for.
// Only real verdicts are cached, never failures.
type Cache struct {
	mu sync.Mutex
	f  *jsonl.File
	m  map[string]Verdict
}

type cacheLine struct {
	Version   int    `json:"version"`
	Key       string `json:"key"`
	Judgement string `json:"judgement"`
	Rationale string `json:"rationale"`
	Model     string `json:"model"`
}

// CacheKey identifies a verdict by the judge model and the exact prompt.
func CacheKey(model, prompt string) string {
	h := sha256.Sum256([]byte(model + "\x00" + prompt))
	return hex.EncodeToString(h[:])
}

// OpenCache reads the cache at path, creating it if absent. A final line
// cut short by a crash is dropped; any other bad line is an error naming
// its line number.
func OpenCache(path string) (*Cache, error) {
	c := &Cache{m: map[string]Verdict{}}
	f, err := jsonl.OpenAppend(path, func(n int, line []byte) error { return c.add(path, n, line) })
	if err != nil {
		return nil, err // it names the file, and add words its own errors
	}
	c.f = f
	return c, nil
}

// add takes line n of the cache at path as the next verdict.
func (c *Cache) add(path string, n int, line []byte) error {
	var l cacheLine
	if err := json.Unmarshal(line, &l); err != nil {
		return fmt.Errorf("judge cache %s line %d: %w", path, n, err)
	}
	if l.Version != CacheVersion {
		return fmt.Errorf("judge cache %s line %d: format version %d, this build reads %d", path, n, l.Version, CacheVersion)
	}
	if l.Judgement != Correct && l.Judgement != Incorrect {
		return fmt.Errorf("judge cache %s line %d: judgement %q", path, n, l.Judgement)
	}
	c.m[l.Key] = Verdict{Judgement: l.Judgement, Rationale: l.Rationale, Model: l.Model}
	return nil
}

// Get returns a cached verdict.
func (c *Cache) Get(key string) (Verdict, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	v, ok := c.m[key]
	return v, ok
}

// Put records a verdict.
func (c *Cache) Put(key string, v Verdict) error {
	line, err := json.Marshal(cacheLine{CacheVersion, key, v.Judgement, v.Rationale, v.Model})
	if err != nil {
		return err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if err := c.f.Append(line); err != nil {
		return err
	}
	c.m[key] = Verdict{Judgement: v.Judgement, Rationale: v.Rationale, Model: v.Model}
	return nil
}

// Len is the number of cached verdicts.
func (c *Cache) Len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.m)
}

// Close closes the file.
func (c *Cache) Close() error { return c.f.Close() }
