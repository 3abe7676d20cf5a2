package judge

import (
	"bufio"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"sync"
)

// CacheVersion is the format version of cache lines; lines of another
// version are refused.
const CacheVersion = 1

// Cache keeps verdicts in an append-only JSONL file, one line per verdict,
// synced as written, so that an interrupted run keeps what it paid for.
// Only real verdicts are cached, never failures.
type Cache struct {
	mu sync.Mutex
	f  *os.File
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
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, fmt.Errorf("judge cache: %w", err)
	}
	c := &Cache{f: f, m: map[string]Verdict{}}
	good, err := c.load(path)
	if err == nil {
		// Drop a torn last line, then append after the good ones.
		if err = f.Truncate(good); err == nil {
			_, err = f.Seek(good, io.SeekStart)
		}
	}
	if err != nil {
		f.Close()
		return nil, err
	}
	return c, nil
}

// load reads every complete line and returns the length of the good prefix.
func (c *Cache) load(path string) (int64, error) {
	r := bufio.NewReader(c.f)
	var good int64
	for n := 1; ; n++ {
		line, err := r.ReadBytes('\n')
		if errors.Is(err, io.EOF) {
			return good, nil // a line without its newline was being written
		}
		if err != nil {
			return 0, fmt.Errorf("judge cache %s: %w", path, err)
		}
		var l cacheLine
		if err := json.Unmarshal(line, &l); err != nil {
			return 0, fmt.Errorf("judge cache %s line %d: %w", path, n, err)
		}
		if l.Version != CacheVersion {
			return 0, fmt.Errorf("judge cache %s line %d: format version %d, this build reads %d", path, n, l.Version, CacheVersion)
		}
		if l.Judgement != Correct && l.Judgement != Incorrect {
			return 0, fmt.Errorf("judge cache %s line %d: judgement %q", path, n, l.Judgement)
		}
		c.m[l.Key] = Verdict{Judgement: l.Judgement, Rationale: l.Rationale, Model: l.Model}
		good += int64(len(line))
	}
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
	if _, err := c.f.Write(append(line, '\n')); err != nil {
		return err
	}
	c.m[key] = Verdict{Judgement: v.Judgement, Rationale: v.Rationale, Model: v.Model}
	return c.f.Sync()
}

// Len is the number of cached verdicts.
func (c *Cache) Len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.m)
}

// Close closes the file.
func (c *Cache) Close() error { return c.f.Close() }
