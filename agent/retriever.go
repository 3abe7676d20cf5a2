package agent

import (
	"errors"
	"fmt"
	"os"

	"research/search"
	"research/search/bm25"
	"research/search/dense"
	"research/search/dense/bert"
	"research/search/dense/hybrid"
	"research/search/dense/remote"
)

// RetrieverConfig names the retriever: an index in process, by Method, or
// a search server (URL). The YAML keys are the CLI's flag names.
type RetrieverConfig struct {
	// Method is bm25 (the default: Index), dense (DenseIndex and an
	// encoder) or hybrid (both, fused by reciprocal rank).
	Method     string        `yaml:"method,omitempty"`
	Index      string        `yaml:"index"`                 // a BM25 index directory
	DenseIndex string        `yaml:"dense_index,omitempty"` // a dense index directory
	Encoder    EncoderConfig `yaml:",inline"`
	// QueryPrefix, when set, replaces the query prefix the dense index
	// records.
	QueryPrefix *string `yaml:"query_prefix,omitempty"`
	Ef          int     `yaml:"ef,omitempty"`    // HNSW candidate list size; 0: exact dense search
	RRFK        int     `yaml:"rrf_k,omitempty"` // hybrid's fusion constant; 0: hybrid.DefaultK
	NoVerify    bool    `yaml:"no_verify,omitempty"`
	URL         string  `yaml:"url"`      // a FlashRAG/ReSearch or Search-R1 server root
	Protocol    string  `yaml:"protocol"` // its API: flashrag or search-r1
}

// Retrieval methods of RetrieverConfig.
const (
	BM25   = "bm25"
	Dense  = "dense"
	Hybrid = "hybrid"
)

func (c RetrieverConfig) empty() bool {
	return c.Index == "" && c.DenseIndex == "" && c.URL == ""
}

// Check reports a configuration that cannot open, naming the key.
func (c RetrieverConfig) Check() error {
	inProcess := c.Index != "" || c.DenseIndex != ""
	switch {
	case inProcess && c.URL != "":
		return fieldError("url", errors.New("a search server and an index at once"))
	case c.URL != "":
		if _, err := search.ParseProtocol(c.Protocol); err != nil {
			return fieldError("protocol", err)
		}
		return nil
	}
	switch c.Method {
	case BM25, "":
		if c.Index == "" {
			return fieldError("index", errors.New("bm25 needs a BM25 index"))
		}
	case Dense, Hybrid:
		if c.DenseIndex == "" {
			return fieldError("dense_index", fmt.Errorf("%s needs a dense index", c.Method))
		}
		if c.Method == Hybrid && c.Index == "" {
			return fieldError("index", errors.New("hybrid needs a BM25 index too"))
		}
		if (c.Encoder.Dir == "") == (c.Encoder.URL == "") {
			return fieldError("encoder", errors.New("give exactly one of an encoder directory and an embeddings URL (embed_url)"))
		}
		if c.Ef < 0 || c.RRFK < 0 {
			return fieldError("ef", fmt.Errorf("ef %d, rrf_k %d: want ≥ 0", c.Ef, c.RRFK))
		}
	default:
		return fieldError("method", fmt.Errorf("%q: want bm25, dense or hybrid", c.Method))
	}
	return nil
}

// OpenRetriever opens the retriever c names and returns it with a
// function that releases it.
func OpenRetriever(c RetrieverConfig) (search.Retriever, func(), error) {
	if err := c.Check(); err != nil {
		return nil, nil, err
	}
	if c.URL != "" {
		proto, _ := search.ParseProtocol(c.Protocol)
		return &search.Client{BaseURL: c.URL, Protocol: proto}, func() {}, nil
	}
	var closers []func()
	release := func() {
		for i := len(closers) - 1; i >= 0; i-- {
			closers[i]()
		}
	}
	var bx *bm25.Index
	if c.Index != "" && c.Method != Dense {
		var err error
		if bx, err = bm25.Open(c.Index, bm25.OpenOptions{SkipVerify: c.NoVerify}); err != nil {
			return nil, nil, fieldError("index", err)
		}
		closers = append(closers, func() { bx.Close() })
		if c.Method == BM25 || c.Method == "" {
			return bx, release, nil
		}
	}
	ix, err := dense.Open(c.DenseIndex, dense.OpenOptions{SkipVerify: c.NoVerify})
	if err != nil {
		release()
		return nil, nil, fieldError("dense_index", err)
	}
	closers = append(closers, func() { ix.Close() })
	enc, _, closeEnc, err := OpenEncoder(c.Encoder)
	if err != nil {
		release()
		return nil, nil, err
	}
	closers = append(closers, closeEnc)
	dr, err := dense.NewRetriever(ix, enc, c.Ef)
	if err != nil {
		release()
		return nil, nil, fieldError("dense_index", err)
	}
	if c.QueryPrefix != nil {
		dr.QueryPrefix = *c.QueryPrefix
	}
	if c.Method == Dense {
		return dr, release, nil
	}
	k := c.RRFK
	if k == 0 {
		k = hybrid.DefaultK
	}
	return &hybrid.Retriever{Retrievers: []search.Retriever{bx, dr}, K: k}, release, nil
}

// EncoderConfig chooses and configures a dense encoder: a BERT model in
// process (Dir) or an OpenAI-compatible embeddings server (URL). The YAML
// keys are the CLI's flag names.
type EncoderConfig struct {
	Dir         string `yaml:"encoder,omitempty"`
	URL         string `yaml:"embed_url,omitempty"`
	Model       string `yaml:"embed_model,omitempty"`
	APIKey      string `yaml:"embed_api_key,omitempty"` // default $RESEARCH_EMBED_API_KEY
	Retries     int    `yaml:"embed_retries,omitempty"`
	Pooling     string `yaml:"pooling,omitempty"` // mean (E5, the default) or cls (BGE, DPR)
	NoNormalize bool   `yaml:"no_normalize,omitempty"`
	MaxLen      int    `yaml:"max_len,omitempty"` // tokens per text, [CLS] and [SEP] included; 0: 512
}

// OpenEncoder returns the encoder c names, a description of it, and a
// function that releases it.
func OpenEncoder(c EncoderConfig) (dense.Encoder, string, func(), error) {
	switch {
	case (c.Dir == "") == (c.URL == ""):
		return nil, "", nil, fieldError("encoder", errors.New("give exactly one of an encoder directory and an embeddings URL"))
	case c.Dir != "":
		pooling := c.Pooling
		if pooling == "" {
			pooling = "mean"
		}
		maxLen := c.MaxLen
		if maxLen == 0 {
			maxLen = 512
		}
		enc, err := bert.Open(c.Dir, bert.Options{Pooling: bert.Pooling(pooling), Normalize: !c.NoNormalize, MaxLen: maxLen})
		if err != nil {
			return nil, "", nil, fieldError("encoder", err)
		}
		return enc, "bert:" + c.Dir + " pooling=" + pooling, func() { enc.Close() }, nil
	}
	key := c.APIKey
	if key == "" {
		key = os.Getenv("RESEARCH_EMBED_API_KEY")
	}
	enc, err := remote.New(remote.Config{BaseURL: c.URL, Model: c.Model, APIKey: key, MaxRetries: c.Retries, Normalize: !c.NoNormalize})
	if err != nil {
		return nil, "", nil, fieldError("embed_url", err)
	}
	return enc, "remote:" + c.URL + " model=" + c.Model, func() {}, nil
}
