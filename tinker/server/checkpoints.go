package server

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math/rand/v2"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"research/internal/diskfile"
	"research/internal/safefile"
	"research/model"
	"research/tinker"
)

// A checkpoint is a directory DataDir/<model id, ':' as '_'>/<kind>/<name>
// holding the adapters in PEFT's layout, for kind weights also the
// optimizer state (train.Engine.Save), and checkpointMeta. It is built
// in a temporary directory beside it and renamed into place, so a reader
// never sees half of one.
const metaFile = "tinker_checkpoint.json"

// checkpointVersion is the version of metaFile's layout; a reader refuses
// others.
const checkpointVersion = 1

type checkpointMeta struct {
	Version   int      `json:"research_tinker_checkpoint_version"`
	Kind      string   `json:"kind"`
	BaseModel string   `json:"base_model"`
	LoRARank  int      `json:"lora_rank"`
	LoRAAlpha float64  `json:"lora_alpha"`
	Targets   []string `json:"target_modules"`
	TrainMLP  bool     `json:"train_mlp"`
	TrainAttn bool     `json:"train_attn"`
	Steps     int      `json:"steps"`
}

// dir is where a checkpoint lives on disk.
func (s *Server) dir(p tinker.Path) string {
	return filepath.Join(s.cfg.DataDir, strings.ReplaceAll(p.ModelID, ":", "_"), p.Kind, p.Name)
}

// saveCheckpoint writes m's adapters (and, for kind weights, its optimizer
// state) under name. Runs on the executor.
func (s *Server) saveCheckpoint(m *trainModel, kind, name string, overwrite bool) (tinker.Path, error) {
	p := tinker.Path{ModelID: m.id, Kind: kind, Name: name}
	out := s.dir(p)
	if _, err := os.Stat(out); err == nil && !overwrite {
		return p, userErrorf("checkpoint %s exists; save under another name or set overwrite", p)
	}
	if err := os.MkdirAll(filepath.Dir(out), 0o755); err != nil {
		return p, fmt.Errorf("save %s: %w", p, err)
	}
	tmp, err := os.MkdirTemp(filepath.Dir(out), ".tmp-"+name+"-")
	if err != nil {
		return p, fmt.Errorf("save %s: %w", p, err)
	}
	defer os.RemoveAll(tmp)
	if kind == tinker.KindWeights {
		err = m.engine.Save(tmp, nil)
	} else {
		err = m.lora.Save(tmp, s.cfg.Name)
	}
	if err != nil {
		return p, fmt.Errorf("save %s: %w", p, err)
	}
	meta := checkpointMeta{Version: checkpointVersion, Kind: kind, BaseModel: s.cfg.Name, LoRARank: m.lora.Rank, LoRAAlpha: m.lora.Alpha,
		Targets: m.lora.Targets, TrainMLP: m.cfg.TrainMLP, TrainAttn: m.cfg.TrainAttn, Steps: m.engine.Steps()}
	if err := safefile.Write(filepath.Join(tmp, metaFile), func(w io.Writer) error { return json.NewEncoder(w).Encode(meta) }); err != nil {
		return p, fmt.Errorf("save %s: %w", p, err)
	}
	if err := diskfile.ReplaceDir(tmp, out); err != nil {
		return p, fmt.Errorf("save %s: %w", p, err)
	}
	return p, nil
}

// readMeta reads a checkpoint's description, as a user error when it is
// missing (a path that names nothing) and refusing unknown versions.
func (s *Server) readMeta(p tinker.Path) (checkpointMeta, error) {
	var meta checkpointMeta
	data, err := os.ReadFile(filepath.Join(s.dir(p), metaFile))
	if errors.Is(err, fs.ErrNotExist) {
		return meta, userErrorf("checkpoint %s does not exist", p)
	}
	if err != nil {
		return meta, fmt.Errorf("read %s: %w", p, err)
	}
	if err := json.Unmarshal(data, &meta); err != nil {
		return meta, fmt.Errorf("read %s: %s: %w", p, metaFile, err)
	}
	if meta.Version != checkpointVersion {
		return meta, fmt.Errorf("read %s: format version %d is not supported (this build reads %d)", p, meta.Version, checkpointVersion)
	}
	return meta, nil
}

// loadLoRA reads a checkpoint's adapters (either kind).
func (s *Server) loadLoRA(p tinker.Path) (*model.LoRA, checkpointMeta, error) {
	meta, err := s.readMeta(p)
	if err != nil {
		return nil, meta, err
	}
	if meta.BaseModel != s.cfg.Name {
		return nil, meta, userErrorf("checkpoint %s is of base model %q; this server has %q", p, meta.BaseModel, s.cfg.Name)
	}
	l, err := model.LoadLoRA(s.dir(p), &s.cfg.Model.Config)
	if err != nil {
		return nil, meta, fmt.Errorf("load %s: %w", p, err)
	}
	return l, meta, nil
}

func (s *Server) saveWeights(w http.ResponseWriter, r *http.Request) {
	body, ok := s.readBody(w, r)
	if !ok {
		return
	}
	req, err := tinker.DecodeSaveWeights(body, false)
	if err != nil {
		badRequest(w, asFieldError(err))
		return
	}
	m := s.model(w, req.ModelID)
	if m == nil {
		return
	}
	s.submit(w, r, m, req.SeqID, body, func() (any, error) {
		p, err := s.saveCheckpoint(m, tinker.KindWeights, req.Path, req.Overwrite)
		if err != nil {
			return nil, err
		}
		path := p.String()
		return tinker.SaveWeightsResponse{Path: &path, Type: "save_weights"}, nil
	})
}

// saveWeightsForSampler saves the adapters under a name, or, unnamed (the
// SDK's save_weights_and_get_sampling_client), snapshots them in memory as
// a new sampling session.
func (s *Server) saveWeightsForSampler(w http.ResponseWriter, r *http.Request) {
	body, ok := s.readBody(w, r)
	if !ok {
		return
	}
	req, err := tinker.DecodeSaveWeights(body, true)
	if err != nil {
		badRequest(w, asFieldError(err))
		return
	}
	m := s.model(w, req.ModelID)
	if m == nil {
		return
	}
	s.submit(w, r, m, req.SeqID, body, func() (any, error) {
		if req.Path == "" {
			snap, err := cloneLoRA(s.cfg.Model, m.lora)
			if err != nil {
				return nil, err
			}
			id := fmt.Sprintf("%s:sample:%d", m.session, *req.SamplingSessionSeqID)
			if err := s.addSampler(&samplingSession{id: id, session: m.session, lora: snap}); err != nil {
				return nil, err
			}
			return tinker.SaveWeightsResponse{SamplingSessionID: id, Type: "save_weights_for_sampler"}, nil
		}
		p, err := s.saveCheckpoint(m, tinker.KindSamplerWeights, req.Path, true)
		if err != nil {
			return nil, err
		}
		path := p.String()
		return tinker.SaveWeightsResponse{Path: &path, Type: "save_weights_for_sampler"}, nil
	})
}

// loadWeights loads a checkpoint's adapters into a model of the same shape
// and, with optimizer, its AdamW state and step count (kind weights only).
func (s *Server) loadWeights(w http.ResponseWriter, r *http.Request) {
	body, ok := s.readBody(w, r)
	if !ok {
		return
	}
	var req tinker.LoadWeightsRequest
	if err := req.UnmarshalJSON(body); err != nil {
		badRequest(w, asFieldError(err))
		return
	}
	p, _ := tinker.ParsePath(req.Path)
	if req.Optimizer && p.Kind != tinker.KindWeights {
		badRequest(w, &tinker.FieldError{Field: "optimizer", Msg: fmt.Sprintf("true, but %s holds sampler weights (no optimizer state); save with save_weights", p)})
		return
	}
	m := s.model(w, req.ModelID)
	if m == nil {
		return
	}
	s.submit(w, r, m, req.SeqID, body, func() (any, error) {
		l, meta, err := s.loadLoRA(p)
		if err != nil {
			return nil, err
		}
		if meta.LoRARank != m.lora.Rank || !slices.Equal(meta.Targets, m.lora.Targets) {
			return nil, userErrorf("checkpoint %s has LoRA rank %d on %v; model %s has rank %d on %v", p, meta.LoRARank, meta.Targets, m.id, m.lora.Rank, m.lora.Targets)
		}
		if req.Optimizer {
			if err := m.engine.Load(s.dir(p), nil); err != nil {
				return nil, fmt.Errorf("load %s: %w", p, err)
			}
		} else {
			dst := m.lora.Params()
			for i, src := range l.Params() {
				copy(dst[i].Data, src.Data)
			}
			m.engine.ZeroGrads()
		}
		return tinker.LoadWeightsResponse{Path: p.String(), ModelID: m.id, Type: "load_weights"}, nil
	})
}

// weightsInfo describes a checkpoint, for create_training_client_from_state.
func (s *Server) weightsInfo(w http.ResponseWriter, r *http.Request) {
	var req tinker.WeightsInfoRequest
	if !s.decode(w, r, &req) {
		return
	}
	p, _ := tinker.ParsePath(req.TinkerPath)
	meta, err := s.readMeta(p)
	var ue userError
	if errors.As(err, &ue) {
		writeError(w, http.StatusNotFound, "tinker_path: "+err.Error())
		return
	}
	if err != nil {
		writeError(w, http.StatusInternalServerError, err.Error())
		return
	}
	writeJSON(w, 200, tinker.WeightsInfoResponse{BaseModel: meta.BaseModel, IsLoRA: true, LoRARank: meta.LoRARank,
		TrainMLP: meta.TrainMLP, TrainAttn: meta.TrainAttn})
}

// cloneLoRA copies adapters (a sampler's snapshot of weights that keep
// training).
func cloneLoRA(m *model.Model, l *model.LoRA) (*model.LoRA, error) {
	c, err := model.NewLoRA(m, l.Rank, l.Alpha, l.Targets, rand.New(rand.NewPCG(0, 0))) // overwritten below
	if err != nil {
		return nil, err
	}
	dst := c.Params()
	for i, p := range l.Params() {
		copy(dst[i].Data, p.Data)
	}
	return c, nil
}
