package client

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"sync"

	"research/tinker"
)

// TrainingClient is one training model on the service. Its requests are
// numbered seq_id 1, 2, 3, … and submitted in that order, as the SDK's
// TrainingClient does, so that a server running them in seq_id order runs
// them in call order; results are awaited after the lock is released.
type TrainingClient struct {
	c       *Client
	ModelID string

	mu  sync.Mutex
	seq int64 // the last seq_id given
}

// CreateModel makes a LoRA training model of baseModel on the service.
func (c *Client) CreateModel(ctx context.Context, baseModel string, lora tinker.LoRAConfig) (*TrainingClient, error) {
	c.mu.Lock()
	seq := c.modelSeq
	c.modelSeq++
	c.mu.Unlock()
	req := tinker.CreateModelRequest{SessionID: c.SessionID, ModelSeqID: seq, BaseModel: baseModel, LoRAConfig: &lora, Type: "create_model"}
	body, err := json.Marshal(req)
	if err != nil {
		return nil, fmt.Errorf("tinker: create_model: %w", err)
	}
	f, err := c.submit(ctx, "create_model", "CreateModel", request{body: body}, false)
	if err != nil {
		return nil, err
	}
	a, err := c.result(ctx, f)
	if err != nil {
		return nil, err
	}
	var res tinker.CreateModelResponse
	if err := decodeResult(f, a, &res); err != nil {
		return nil, err
	}
	if res.ModelID == "" {
		return nil, &APIError{Route: "create_model", Status: 200, Detail: "model_id: missing from the result"}
	}
	return &TrainingClient{c: c, ModelID: res.ModelID}, nil
}

// Client is the session the model belongs to.
func (t *TrainingClient) Client() *Client { return t.c }

// submit gives a request the next seq_id, encodes it with that id and
// submits it, under the lock so that ids reach the server in order.
func (t *TrainingClient) submit(ctx context.Context, route, reqType string, proto bool, encode func(seq int64) (request, error)) (future, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	r, err := encode(t.seq + 1)
	if err != nil {
		return future{}, fmt.Errorf("tinker: %s: %w", route, err)
	}
	f, err := t.c.submit(ctx, route, reqType, r, proto)
	if err != nil {
		// The seq_id is spent only if the server may have taken it: after
		// an answer it refused, the next request reuses it.
		if _, refused := err.(*APIError); refused {
			return future{}, err
		}
		t.seq++
		return future{}, err
	}
	t.seq++
	return f, nil
}

// ForwardBackward computes the loss of in on the model and accumulates
// its gradient; Forward computes it without a gradient.
func (t *TrainingClient) ForwardBackward(ctx context.Context, in tinker.ForwardBackwardInput) (*tinker.ForwardBackwardOutput, error) {
	return t.forward(ctx, in, false)
}

// Forward scores in without a gradient (the forward route of SDK ≤ 0.24,
// or forward_backward with forward_only under protobuf).
func (t *TrainingClient) Forward(ctx context.Context, in tinker.ForwardBackwardInput) (*tinker.ForwardBackwardOutput, error) {
	return t.forward(ctx, in, true)
}

func (t *TrainingClient) forward(ctx context.Context, in tinker.ForwardBackwardInput, forwardOnly bool) (*tinker.ForwardBackwardOutput, error) {
	if len(in.Data) == 0 {
		return nil, fmt.Errorf("tinker: forward_backward: no data")
	}
	route, reqType := "forward_backward", "ForwardBackward"
	proto := t.c.proto
	if forwardOnly {
		reqType = "Forward"
		if !proto {
			route = "forward"
		}
	}
	f, err := t.submit(ctx, route, reqType, true, func(seq int64) (request, error) {
		req := tinker.ForwardBackwardRequest{Input: in, ModelID: t.ModelID, SeqID: seq, ForwardOnly: forwardOnly}
		if proto {
			return request{body: tinker.EncodeForwardBackwardRequest(req), contentType: tinker.ProtoContentType}, nil
		}
		body, err := json.Marshal(req)
		return request{body: body}, err
	})
	if err != nil {
		return nil, err
	}
	a, err := t.c.result(ctx, f)
	if err != nil {
		return nil, err
	}
	var out tinker.ForwardBackwardOutput
	if strings.HasPrefix(strings.ToLower(a.contentType), tinker.ProtoContentType) {
		if out, err = tinker.DecodeForwardBackwardOutput(a.body); err != nil {
			return nil, &APIError{Route: "retrieve_future", Status: a.status, Detail: fmt.Sprintf("result of %s request %s: %v", route, f.requestID, err)}
		}
	} else if err := decodeResult(f, a, &out); err != nil {
		return nil, err
	}
	if len(out.LossFnOutputs) != len(in.Data) {
		return nil, &APIError{Route: "retrieve_future", Status: a.status,
			Detail: fmt.Sprintf("result of %s request %s: loss_fn_outputs holds %d entries for %d datums", route, f.requestID, len(out.LossFnOutputs), len(in.Data))}
	}
	return &out, nil
}

// OptimStep applies the accumulated gradient with AdamW and p's settings.
func (t *TrainingClient) OptimStep(ctx context.Context, p tinker.AdamParams) (tinker.OptimStepResponse, error) {
	if err := p.Check(); err != nil {
		return tinker.OptimStepResponse{}, fmt.Errorf("tinker: optim_step: adam_params.%w", err)
	}
	f, err := t.submit(ctx, "optim_step", "OptimStep", false, func(seq int64) (request, error) {
		body, err := json.Marshal(tinker.OptimStepRequest{AdamParams: p, ModelID: t.ModelID, SeqID: seq, Type: "optim_step"})
		return request{body: body}, err
	})
	if err != nil {
		return tinker.OptimStepResponse{}, err
	}
	a, err := t.c.result(ctx, f)
	if err != nil {
		return tinker.OptimStepResponse{}, err
	}
	var out tinker.OptimStepResponse
	return out, decodeResult(f, a, &out)
}

// SaveWeights saves the training state (weights and optimizer) under name
// and returns its tinker:// path.
func (t *TrainingClient) SaveWeights(ctx context.Context, name string, overwrite bool) (string, error) {
	return t.save(ctx, "save_weights", "SaveWeights", tinker.SaveWeightsRequest{ModelID: t.ModelID, Path: name, Overwrite: overwrite, Type: "save_weights"})
}

// SaveWeightsForSampler saves the weights for sampling under name and
// returns its tinker:// path.
func (t *TrainingClient) SaveWeightsForSampler(ctx context.Context, name string) (string, error) {
	return t.save(ctx, "save_weights_for_sampler", "SaveWeightsForSampler", tinker.SaveWeightsRequest{ModelID: t.ModelID, Path: name, Type: "save_weights_for_sampler"})
}

func (t *TrainingClient) save(ctx context.Context, route, reqType string, req tinker.SaveWeightsRequest) (string, error) {
	if err := tinker.CheckName(req.Path); err != nil {
		return "", fmt.Errorf("tinker: %s: path: %w", route, err)
	}
	f, err := t.submit(ctx, route, reqType, false, func(seq int64) (request, error) {
		req.SeqID = seq
		body, err := json.Marshal(req)
		return request{body: body}, err
	})
	if err != nil {
		return "", err
	}
	a, err := t.c.result(ctx, f)
	if err != nil {
		return "", err
	}
	var out tinker.SaveWeightsResponse
	if err := decodeResult(f, a, &out); err != nil {
		return "", err
	}
	if out.Path == nil || *out.Path == "" {
		return "", &APIError{Route: "retrieve_future", Status: a.status, Detail: fmt.Sprintf("result of %s request %s: path: missing", route, f.requestID)}
	}
	return *out.Path, nil
}

// LoadWeights loads a save_weights checkpoint into the model, with its
// optimizer state when optimizer is set.
func (t *TrainingClient) LoadWeights(ctx context.Context, path string, optimizer bool) error {
	if !strings.HasPrefix(path, "tinker://") {
		return fmt.Errorf("tinker: load_weights: path %q: want a tinker:// path that save_weights returned", path)
	}
	f, err := t.submit(ctx, "load_weights", "LoadWeights", false, func(seq int64) (request, error) {
		body, err := json.Marshal(tinker.LoadWeightsRequest{ModelID: t.ModelID, SeqID: seq, Path: path, Optimizer: optimizer, Type: "load_weights"})
		return request{body: body}, err
	})
	if err != nil {
		return err
	}
	_, err = t.c.result(ctx, f)
	return err
}

// Info is get_info: the model's base, LoRA rank and tokenizer.
func (t *TrainingClient) Info(ctx context.Context) (tinker.GetInfoResponse, error) {
	var out tinker.GetInfoResponse
	err := t.c.postJSON(ctx, "get_info", tinker.ModelRequest{ModelID: t.ModelID, Type: "get_info"}, &out)
	return out, err
}

// Unload frees the model on the service (unload_model); its checkpoints
// stay.
func (t *TrainingClient) Unload(ctx context.Context) error {
	body, err := json.Marshal(tinker.ModelRequest{ModelID: t.ModelID, Type: "unload_model"})
	if err != nil {
		return err
	}
	f, err := t.c.submit(ctx, "unload_model", "UnloadModel", request{body: body}, false)
	if err != nil {
		return err
	}
	_, err = t.c.result(ctx, f)
	return err
}
