package trainer

import (
	"context"
	"errors"
	"fmt"
	"math"
	"reflect"
	"strings"
	"testing"

	"research/generate"
	"research/rl"
	"research/rollout"
	"research/train"
)

// fakeBackend records what the update asks of a backend. As a remote one
// (Tinker's losses) it refuses a KL term, the entropy bonus, on-policy old
// logprobs and reference logprobs.
type fakeBackend struct {
	remote bool
	calls  []string
	data   []Datum
	scales []float64
	params []train.StepParams
	steps  int
}

func (f *fakeBackend) ForwardBackward(_ context.Context, data []Datum, loss rl.Loss, scale float64) (ForwardBackwardResult, error) {
	if f.remote && (loss.KL != rl.KLNone || loss.EntropyCoef != 0) {
		return ForwardBackwardResult{}, errors.New("algorithm.kl, algorithm.entropy_coef: not a loss of this service")
	}
	for _, d := range data {
		if f.remote && d.OldLogp == nil {
			return ForwardBackwardResult{}, errors.New("no old logprobs: this service's ratio is against the logprobs sent")
		}
	}
	f.calls = append(f.calls, "forward_backward")
	f.data = append(f.data, data...)
	f.scales = append(f.scales, scale)
	logp := make([][]float64, len(data))
	for i, d := range data {
		logp[i] = fill(len(d.Mask), -0.5)
	}
	return ForwardBackwardResult{Logprobs: logp, Loss: rl.Result{PGLoss: 1}}, nil
}

func (f *fakeBackend) Logprobs(_ context.Context, data []Datum, w Weights) ([][]float64, error) {
	name, value := "logprobs current", -1.0
	if w == Reference {
		if f.remote {
			return nil, errors.New("no reference weights on this service")
		}
		name, value = "logprobs reference", -2
	}
	f.calls = append(f.calls, name)
	out := make([][]float64, len(data))
	for i, d := range data {
		out[i] = fill(len(d.Mask), value)
	}
	return out, nil
}

func (f *fakeBackend) OptimStep(_ context.Context, p train.StepParams) (train.StepStats, error) {
	f.calls = append(f.calls, "optim_step")
	f.params = append(f.params, p)
	f.steps++
	return train.StepStats{Step: f.steps, LR: p.LR, GradNorm: 1}, nil
}

func (f *fakeBackend) Steps() int { return f.steps }

func (f *fakeBackend) Sampler(context.Context, generate.Sampling) (rollout.Policy, func(), error) {
	return nil, nil, errors.New("the fake does not sample")
}

func (f *fakeBackend) Save(string) error { return nil }
func (f *fakeBackend) Load(string) error { return nil }
func (f *fakeBackend) Close()            {}

func fill(n int, v float64) []float64 {
	out := make([]float64, n)
	for i := range out {
		out[i] = v
	}
	return out
}

// TestUpdateDrivesBackend: the advantage and update stages hand a backend
// each sample's loss mask and per-token advantages, old logprobs only off
// policy, reference logprobs only with a KL term, one optimizer step per
// mini-batch at the scheduled learning rate; a backend's refusal stops the
// update with its reason.
func TestUpdateDrivesBackend(t *testing.T) {
	tests := []struct {
		name        string
		miniBatches int
		kl          rl.KLEstimator
		remote      bool
		calls       []string
		err         string
	}{
		{"on-policy", 1, rl.KLNone, false, []string{"forward_backward", "optim_step"}, ""},
		{"off-policy", 2, rl.KLNone, false, []string{"logprobs current", "forward_backward", "optim_step", "forward_backward", "optim_step"}, ""},
		{"kl", 1, rl.K3, false, []string{"logprobs reference", "forward_backward", "optim_step"}, ""},
		{"remote off-policy", 2, rl.KLNone, true, []string{"logprobs current", "forward_backward", "optim_step", "forward_backward", "optim_step"}, ""},
		{"remote refuses on-policy", 1, rl.KLNone, true, nil, "no old logprobs"},
		{"remote refuses kl", 1, rl.K3, true, nil, "reference logprobs: no reference weights"},
	}
	trajs, rewards := recipeTrajs(), []float64{0, 1, 0.1, 1, 0, 1}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := &fakeBackend{remote: tc.remote}
			sched := train.Schedule{Kind: train.Linear, Warmup: 2, Total: 10}
			u := &updater{backend: f, loss: rl.Loss{ClipLow: 0.2, ClipHigh: 0.2, KL: tc.kl, KLCoef: 0.001, Aggregation: rl.TokenMean},
				est: rl.GRPO, lr: 1e-3, sched: sched, adamW: train.DefaultAdamW(), maxGradNorm: 1,
				miniBatches: tc.miniBatches, epochs: 1, microTokens: 1 << 20}
			b := batchOf(trajs, rewards, 3, false)
			st, err := u.run(context.Background(), b)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("error %v, want %q", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(f.calls, tc.calls) {
				t.Errorf("calls %q, want %q", f.calls, tc.calls)
			}
			adv, err := rl.Advantages(rl.GRPO, rewards, []int{0, 0, 0, 1, 1, 1}, nil)
			if err != nil {
				t.Fatal(err)
			}
			if len(f.data) != len(b) {
				t.Fatalf("%d data sent, want %d", len(f.data), len(b))
			}
			for i, d := range f.data {
				if !reflect.DeepEqual(d.Mask, b[i].Mask) || !reflect.DeepEqual(d.Advantages, fill(len(d.Mask), adv[i])) {
					t.Errorf("datum %d: mask %v advantages %v, want %v and %g", i, d.Mask, d.Advantages, b[i].Mask, adv[i])
				}
				if want := len(trajs[i].Prompt); d.From != want || len(d.Tokens) != want+len(trajs[i].Response) {
					t.Errorf("datum %d: from %d of %d tokens", i, d.From, len(d.Tokens))
				}
				if (d.OldLogp != nil) != (tc.miniBatches > 1) || (d.RefLogp != nil) != (tc.kl != rl.KLNone) {
					t.Errorf("datum %d: old logprobs %v, reference logprobs %v", i, d.OldLogp != nil, d.RefLogp != nil)
				}
			}
			var shares float64
			for _, s := range f.scales {
				shares += s
			}
			if math.Abs(shares-float64(tc.miniBatches)) > 1e-12 {
				t.Errorf("scales %v: want each mini-batch's to sum to 1", f.scales)
			}
			for k, p := range f.params {
				if want := 1e-3 * sched.Factor(k); p.LR != want || p.MaxGradNorm != 1 || p.AdamW != train.DefaultAdamW() {
					t.Errorf("step %d: %+v, want lr %g", k, p, want)
				}
			}
			if tc.miniBatches == 1 && st.LogprobGap == 0 {
				t.Error("no logprob gap: the forward's logprobs were not taken as the old ones")
			}
			if got := fmt.Sprint(st.Advantages); got != fmt.Sprint(adv) {
				t.Errorf("advantages %s, want %v", got, adv)
			}
		})
	}
}
