package tinker

import (
	"encoding/binary"
	"fmt"
	"math"

	"google.golang.org/protobuf/encoding/protowire"
)

// DecodeForwardBackwardOutput reads a protobuf ForwardBackwardOutput as the
// SDK does (response_conv.deserialize_forward_backward_output): each
// ArrayRecord's BatchedTensors are sliced per datum by their byte offsets,
// shaped [len / prod(trailing_shape)] + trailing_shape; int32 widens to
// int64 and bfloat16 to float32; the output type keeps the part after the
// last ':'.
func DecodeForwardBackwardOutput(b []byte) (ForwardBackwardOutput, error) {
	out := ForwardBackwardOutput{Metrics: map[string]float64{}, LossFnOutputs: []map[string]TensorData{}}
	r := &protoReader{b: b}
	for {
		num, typ, val, _, ok, err := r.next()
		if err != nil {
			return out, err
		}
		if !ok {
			break
		}
		switch num {
		case 1:
			if err := r.want("loss_fn_output_type", typ, protowire.BytesType); err != nil {
				return out, err
			}
			out.LossFnOutputType = string(val)
		case 2:
			if err := r.want("loss_fn_outputs", typ, protowire.BytesType); err != nil {
				return out, err
			}
			datums, err := decodeArrayRecord(val, "loss_fn_outputs")
			if err != nil {
				return out, err
			}
			out.LossFnOutputs = append(out.LossFnOutputs, datums...)
		case 3:
			if err := r.want("metrics", typ, protowire.BytesType); err != nil {
				return out, err
			}
			k, x, err := decodeDoubleEntry(val, "metrics")
			if err != nil {
				return out, err
			}
			out.Metrics[k] = x
		}
	}
	if i := lastColon(out.LossFnOutputType); i >= 0 {
		out.LossFnOutputType = out.LossFnOutputType[i+1:]
	}
	if out.LossFnOutputType == "" {
		out.LossFnOutputType = "ArrayRecord"
	}
	return out, nil
}

func lastColon(s string) int {
	for i := len(s) - 1; i >= 0; i-- {
		if s[i] == ':' {
			return i
		}
	}
	return -1
}

// decodeArrayRecord reads ArrayRecord {1 type_tag, 2 fields
// map<string,BatchedTensor>, 3 num_datums} into per-datum tensors.
func decodeArrayRecord(b []byte, path string) ([]map[string]TensorData, error) {
	fields := map[string][]TensorData{}
	var numDatums uint64
	r := &protoReader{b: b, path: path}
	for {
		num, typ, val, v, ok, err := r.next()
		if err != nil {
			return nil, err
		}
		if !ok {
			break
		}
		switch num {
		case 2:
			if err := r.want("fields", typ, protowire.BytesType); err != nil {
				return nil, err
			}
			name, per, err := decodeBatchedEntry(val, sub(path, "fields"))
			if err != nil {
				return nil, err
			}
			fields[name] = per
		case 3:
			if err := r.want("num_datums", typ, protowire.VarintType); err != nil {
				return nil, err
			}
			numDatums = v
		}
	}
	n := int(min(numDatums, 1<<40))
	if numDatums == 0 {
		for _, per := range fields {
			n = len(per)
			break
		}
	}
	// Without fields nothing bounds num_datums but the SDK's patience: a
	// record of empty datums larger than a million is refused.
	if len(fields) == 0 && n > 1<<20 {
		return nil, &FieldError{Field: sub(path, "num_datums"), Msg: fmt.Sprintf("%d datums without fields", numDatums)}
	}
	out := make([]map[string]TensorData, 0, min(n, 1<<20))
	for i := 0; i < n; i++ {
		d := map[string]TensorData{}
		for name, per := range fields {
			if i >= len(per) {
				return nil, &FieldError{Field: sub(path, "fields."+name), Msg: fmt.Sprintf("%d datums, num_datums says %d", len(per), n)}
			}
			d[name] = per[i]
		}
		out = append(out, d)
	}
	return out, nil
}

// decodeBatchedEntry reads one map<string,BatchedTensor> entry and slices
// the tensor {1 data, 2 offsets int64 LE, 3 dtype, 4 trailing_shape} per
// datum.
func decodeBatchedEntry(b []byte, path string) (string, []TensorData, error) {
	var name string
	var data, offsets []byte
	var dtype uint64
	var trailing []int64
	r := &protoReader{b: b, path: path}
	for {
		num, typ, val, _, ok, err := r.next()
		if err != nil {
			return "", nil, err
		}
		if !ok {
			break
		}
		switch num {
		case 1:
			name = string(val)
		case 2:
			if err := r.want("value", typ, protowire.BytesType); err != nil {
				return "", nil, err
			}
			tr := &protoReader{b: val, path: path}
			for {
				num, typ, val, v, ok, err := tr.next()
				if err != nil {
					return "", nil, err
				}
				if !ok {
					break
				}
				switch {
				case num == 1 && typ == protowire.BytesType:
					data = val
				case num == 2 && typ == protowire.BytesType:
					offsets = val
				case num == 3 && typ == protowire.VarintType:
					dtype = v
				case num == 4 && typ == protowire.BytesType:
					for len(val) > 0 {
						x, n := protowire.ConsumeVarint(val)
						if n < 0 {
							return "", nil, tr.fail("trailing_shape", protowire.ParseError(n))
						}
						trailing = append(trailing, int64(x))
						val = val[n:]
					}
				case num == 4 && typ == protowire.VarintType:
					trailing = append(trailing, int64(v))
				}
			}
		}
	}
	path = sub(path, name)
	size := map[uint64]int{pbDTypeFloat32: 4, pbDTypeInt64: 8, pbDTypeInt32: 4, pbDTypeBFloat16: 2}[dtype]
	if size == 0 {
		return "", nil, &FieldError{Field: sub(path, "dtype"), Msg: fmt.Sprintf("%d: not a known DType", dtype)}
	}
	if len(offsets)%8 != 0 {
		return "", nil, &FieldError{Field: sub(path, "offsets"), Msg: fmt.Sprintf("%d bytes: want int64s", len(offsets))}
	}
	inner := int64(1)
	for _, d := range trailing {
		if d <= 0 || d > math.MaxInt32 {
			return "", nil, &FieldError{Field: sub(path, "trailing_shape"), Msg: fmt.Sprintf("%v: want positive sizes", trailing)}
		}
		inner *= d
		if inner > math.MaxInt32 {
			return "", nil, &FieldError{Field: sub(path, "trailing_shape"), Msg: fmt.Sprintf("%v: too large", trailing)}
		}
	}
	var per []TensorData
	for i := 0; i+16 <= len(offsets); i += 8 {
		lo, hi := binary.LittleEndian.Uint64(offsets[i:]), binary.LittleEndian.Uint64(offsets[i+8:])
		if lo > hi || hi > uint64(len(data)) || lo%uint64(size) != 0 || hi%uint64(size) != 0 {
			return "", nil, &FieldError{Field: sub(path, "offsets"), Msg: fmt.Sprintf("slice [%d, %d) of %d data bytes", lo, hi, len(data))}
		}
		chunk := data[lo:hi]
		n := len(chunk) / size
		if int64(n)%inner != 0 {
			return "", nil, &FieldError{Field: sub(path, "trailing_shape"), Msg: fmt.Sprintf("%d values do not fill rows of %v", n, trailing)}
		}
		t := TensorData{Shape: append([]int64{int64(n) / inner}, trailing...)}
		switch dtype {
		case pbDTypeFloat32, pbDTypeBFloat16:
			t.DType, t.Floats = Float32, make([]float32, n)
			for j := range n {
				if dtype == pbDTypeFloat32 {
					t.Floats[j] = math.Float32frombits(binary.LittleEndian.Uint32(chunk[4*j:]))
				} else {
					t.Floats[j] = math.Float32frombits(uint32(binary.LittleEndian.Uint16(chunk[2*j:])) << 16)
				}
			}
		default:
			t.DType, t.Ints = Int64, make([]int64, n)
			for j := range n {
				if dtype == pbDTypeInt64 {
					t.Ints[j] = int64(binary.LittleEndian.Uint64(chunk[8*j:]))
				} else {
					t.Ints[j] = int64(int32(binary.LittleEndian.Uint32(chunk[4*j:])))
				}
			}
		}
		per = append(per, t)
	}
	return name, per, nil
}

// DecodeSampleResponse reads a protobuf SampleResponse as the SDK does
// (response_conv.deserialize_sample_response); top-k prompt logprobs are
// skipped.
func DecodeSampleResponse(b []byte) (SampleResponse, error) {
	var out SampleResponse
	r := &protoReader{b: b}
	for {
		num, typ, val, _, ok, err := r.next()
		if err != nil || !ok {
			return out, err
		}
		switch num {
		case 1:
			if err := r.want("sequences", typ, protowire.BytesType); err != nil {
				return out, err
			}
			s, err := decodeSequence(val, fmt.Sprintf("sequences[%d]", len(out.Sequences)))
			if err != nil {
				return out, err
			}
			out.Sequences = append(out.Sequences, s)
		case 2:
			if err := r.want("prompt_logprobs", typ, protowire.BytesType); err != nil {
				return out, err
			}
			if out.PromptLogprobs, err = float32s(val, "prompt_logprobs"); err != nil {
				return out, err
			}
		}
	}
}

func decodeSequence(b []byte, path string) (SampledSequence, error) {
	s := SampledSequence{StopReason: StopReasonStop, Tokens: []int{}}
	r := &protoReader{b: b, path: path}
	for {
		num, typ, val, v, ok, err := r.next()
		if err != nil || !ok {
			return s, err
		}
		switch num {
		case 1:
			if err := r.want("stop_reason", typ, protowire.VarintType); err != nil {
				return s, err
			}
			switch v {
			case pbStopReasonStop:
				s.StopReason = StopReasonStop
			case pbStopReasonLength:
				s.StopReason = StopReasonLength
			default:
				return s, &FieldError{Field: sub(path, "stop_reason"), Msg: fmt.Sprintf("unknown value %d", v)}
			}
		case 2:
			if err := r.want("tokens", typ, protowire.BytesType); err != nil {
				return s, err
			}
			if len(val)%4 != 0 {
				return s, &FieldError{Field: sub(path, "tokens"), Msg: fmt.Sprintf("%d bytes: want int32s", len(val))}
			}
			s.Tokens = make([]int, len(val)/4)
			for i := range s.Tokens {
				s.Tokens[i] = int(int32(binary.LittleEndian.Uint32(val[4*i:])))
			}
		case 3:
			if err := r.want("logprobs", typ, protowire.BytesType); err != nil {
				return s, err
			}
			if s.Logprobs, err = float32s(val, sub(path, "logprobs")); err != nil {
				return s, err
			}
		}
	}
}

func float32s(b []byte, path string) ([]float32, error) {
	if len(b)%4 != 0 {
		return nil, &FieldError{Field: path, Msg: fmt.Sprintf("%d bytes: want float32s", len(b))}
	}
	out := make([]float32, len(b)/4)
	for i := range out {
		out[i] = math.Float32frombits(binary.LittleEndian.Uint32(b[4*i:]))
	}
	return out, nil
}
