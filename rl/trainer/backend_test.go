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
		name         string
		miniBatches  int
		kl           rl.KLEstimator
		remote       bool
		sendOld      bool // the updater sends a remote backend the sampler's logprobs on policy
		trainResults bool // algorithm.state_masking false
		calls        []string
		err          string
	}{
		{"on-policy", 1, rl.KLNone, false, false, false, []string{"forward_backward", "optim_step"}, ""},
		{"off-policy", 2, rl.KLNone, false, false, false, []string{"logprobs current", "forward_backward", "optim_step", "forward_backward", "optim_step"}, ""},
		{"kl", 1, rl.K3, false, false, false, []string{"logprobs reference", "forward_backward", "optim_step"}, ""},
		{"remote off-policy", 2, rl.KLNone, true, true, false, []string{"logprobs current", "forward_backward", "optim_step", "forward_backward", "optim_step"}, ""},
		{"remote refuses on-policy", 1, rl.KLNone, true, false, false, nil, "no old logprobs"},
		{"remote on-policy: the sampler's", 1, rl.KLNone, true, true, false, []string{"forward_backward", "optim_step"}, ""},
		{"remote on-policy, results trained on", 1, rl.KLNone, true, true, true, []string{"logprobs current", "forward_backward", "optim_step"}, ""},
		{"remote refuses kl", 1, rl.K3, true, true, false, nil, "reference logprobs: no reference weights"},
	}
	trajs, rewards := recipeTrajs(), []float64{0, 1, 0.1, 1, 0, 1}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := &fakeBackend{remote: tc.remote}
			sched := train.Schedule{Kind: train.Linear, Warmup: 2, Total: 10}
			u := &updater{backend: f, loss: rl.Loss{ClipLow: 0.2, ClipHigh: 0.2, KL: tc.kl, KLCoef: 0.001, Aggregation: rl.TokenMean},
				est: rl.GRPO, lr: 1e-3, sched: sched, adamW: train.DefaultAdamW(), maxGradNorm: 1,
				miniBatches: tc.miniBatches, epochs: 1, microTokens: 1 << 20, sendOld: tc.sendOld}
			b := batchOf(trajs, rewards, 3, tc.trainResults)
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
				if (d.OldLogp != nil) != (tc.miniBatches > 1 || tc.sendOld) || (d.RefLogp != nil) != (tc.kl != rl.KLNone) {
					t.Errorf("datum %d: old logprobs %v, reference logprobs %v", i, d.OldLogp != nil, d.RefLogp != nil)
				}
				switch sampler := reflect.DeepEqual(d.OldLogp, trajs[i].Logprobs); {
				case tc.sendOld && tc.miniBatches == 1 && !tc.trainResults && !sampler:
					t.Errorf("datum %d: old logprobs %v, want the sampler's %v", i, d.OldLogp, trajs[i].Logprobs)
				case tc.trainResults && sampler:
					t.Errorf("datum %d: the sampler's logprobs sent for trained-on results, which it did not write", i)
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

// TestKLInReward: algorithm.kl_in_reward scores every sample under the
// reference once, charges each token the policy wrote β·k3(sampler
// logprob, reference logprob), and the advantages are GRPO's of the
// rewards less the charges — so a group of equal rewards still learns
// from its KL, even under skip_zero_advantage; the loss's KL term, when
// on too, reuses the reference logprobs.
func TestKLInReward(t *testing.T) {
	for _, lossKL := range []rl.KLEstimator{rl.KLNone, rl.K3} {
		f := &fakeBackend{}
		u := &updater{backend: f, loss: rl.Loss{ClipLow: 0.2, ClipHigh: 0.2, KL: lossKL, KLCoef: 0.001, Aggregation: rl.TokenMean},
			est: rl.GRPO, lr: 1e-3, adamW: train.DefaultAdamW(), miniBatches: 1, epochs: 1, microTokens: 1 << 20,
			skipZeroAdvantage: true, klInReward: true, klPenalty: rl.K3, klCoef: 0.1}
		trajs, rewards := recipeTrajs(), []float64{0, 1, 0.1, 0.5, 0.5, 0.5}
		b := batchOf(trajs, rewards, 3, false)
		st, err := u.run(context.Background(), b)
		if err != nil {
			t.Fatal(err)
		}
		if want := []string{"logprobs reference", "forward_backward", "optim_step"}; !reflect.DeepEqual(f.calls, want) {
			t.Errorf("kl %s: calls %q, want %q", lossKL, f.calls, want)
		}
		shaped := make([]float64, len(trajs))
		var perToken float64
		for i, tr := range trajs {
			var sum, n float64
			for j, m := range tr.Mask {
				if m == 1 {
					d := -2 - tr.Logprobs[j] // the fake's reference logprob is −2
					sum += math.Exp(d) - d - 1
					n++
				}
			}
			shaped[i] = rewards[i] - 0.1*sum
			perToken += sum / n / float64(len(trajs))
			if math.Abs(b[i].KLPenalty-0.1*sum) > 1e-12 {
				t.Errorf("sample %d: charged %v, want %v", i, b[i].KLPenalty, 0.1*sum)
			}
		}
		want, err := rl.Advantages(rl.GRPO, shaped, []int{0, 0, 0, 1, 1, 1}, nil)
		if err != nil {
			t.Fatal(err)
		}
		if len(f.data) != len(trajs) {
			t.Fatalf("%d samples trained on: the group of equal rewards was skipped despite its KL", len(f.data))
		}
		for i := range want {
			if math.Abs(st.Advantages[i]-want[i]) > 1e-12 || math.Abs(f.data[i].Advantages[0]-want[i]) > 1e-12 {
				t.Errorf("sample %d: advantage %v (sent %v), want %v", i, st.Advantages[i], f.data[i].Advantages[0], want[i])
			}
			if (f.data[i].RefLogp != nil) != (lossKL != rl.KLNone) {
				t.Errorf("sample %d: reference logprobs sent %v with the loss's KL %s", i, f.data[i].RefLogp != nil, lossKL)
			}
		}
		if math.Abs(st.KLPenalty-perToken) > 1e-12 {
			t.Errorf("kl_penalty metric %v, want %v", st.KLPenalty, perToken)
		}
	}
}
