package rollout

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
)

// WriteJSONL writes trajectories as JSON Lines, one record each.
func WriteJSONL(w io.Writer, trajs []*Trajectory) error {
	bw := bufio.NewWriter(w)
	enc := json.NewEncoder(bw)
	enc.SetEscapeHTML(false)
	for _, t := range trajs {
		if err := enc.Encode(t); err != nil {
			return fmt.Errorf("write trajectory: %w", err)
		}
	}
	return bw.Flush()
}

// ReadJSONL reads a trajectory dump; errors name the input and line. It
// refuses records of another format version and records whose token
// arrays disagree in length.
func ReadJSONL(r io.Reader, name string) ([]*Trajectory, error) {
	br := bufio.NewReader(r)
	var out []*Trajectory
	for line := 1; ; line++ {
		text, err := br.ReadBytes('\n')
		if err != nil && err != io.EOF {
			return nil, fmt.Errorf("%s:%d: %w", name, line, err)
		}
		if trimmed := bytes.TrimSpace(text); len(trimmed) > 0 {
			t := new(Trajectory)
			if err := json.Unmarshal(trimmed, t); err != nil {
				return nil, fmt.Errorf("%s:%d: not a trajectory record: %w", name, line, err)
			}
			if t.Version != TrajectoryVersion {
				return nil, fmt.Errorf("%s:%d: trajectory format version %d; this build reads version %d", name, line, t.Version, TrajectoryVersion)
			}
			if len(t.Mask) != len(t.Response) || len(t.Logprobs) != len(t.Response) {
				return nil, fmt.Errorf("%s:%d: %d response ids, %d mask entries, %d logprobs: want equal lengths", name, line, len(t.Response), len(t.Mask), len(t.Logprobs))
			}
			out = append(out, t)
		}
		if err == io.EOF {
			return out, nil
		}
	}
}
