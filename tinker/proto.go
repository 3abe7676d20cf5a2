package tinker

import (
	"encoding/binary"
	"fmt"
	"math"
	"slices"
	"strings"

	"google.golang.org/protobuf/encoding/protowire"
)

// The protobuf of SDK 0.25 (package tinker_public, tinker_public.proto; field
// numbers from the descriptor serialised in the SDK's
// src/tinker/proto/tinker_public_pb2.py). Arrays travel as little-endian
// bytes: tokens int32, float tensors float32, int tensors int64.

// ProtoContentType is the media type of protobuf bodies.
const ProtoContentType = "application/x-protobuf"

// Proto DType values.
const (
	pbDTypeUnspecified = 0
	pbDTypeFloat32     = 1
	pbDTypeInt64       = 2
	pbDTypeInt32       = 3
	pbDTypeBFloat16    = 4
)

// Proto StopReason values.
const (
	pbStopReasonStop   = 0
	pbStopReasonLength = 1
)

// protoReader walks the fields of one message.
type protoReader struct {
	b    []byte
	path string // of the message, for errors
}

// next returns the next field's number, type and raw value (the bytes of a
// LEN field, or the varint / fixed value in v), or ok false at the end.
func (r *protoReader) next() (num protowire.Number, typ protowire.Type, val []byte, v uint64, ok bool, err error) {
	if len(r.b) == 0 {
		return 0, 0, nil, 0, false, nil
	}
	num, typ, n := protowire.ConsumeTag(r.b)
	if n < 0 {
		return 0, 0, nil, 0, false, r.fail("", protowire.ParseError(n))
	}
	r.b = r.b[n:]
	switch typ {
	case protowire.VarintType:
		v, n = protowire.ConsumeVarint(r.b)
	case protowire.Fixed64Type:
		v, n = protowire.ConsumeFixed64(r.b)
	case protowire.Fixed32Type:
		var v32 uint32
		v32, n = protowire.ConsumeFixed32(r.b)
		v = uint64(v32)
	case protowire.BytesType:
		val, n = protowire.ConsumeBytes(r.b)
	default:
		n = protowire.ConsumeFieldValue(num, typ, r.b)
	}
	if n < 0 {
		return 0, 0, nil, 0, false, r.fail(fmt.Sprintf("field %d", num), protowire.ParseError(n))
	}
	r.b = r.b[n:]
	return num, typ, val, v, true, nil
}

func (r *protoReader) fail(field string, err error) error {
	p := r.path
	if strings.HasPrefix(field, "field ") {
		// A field this reader cannot name: the message's path carries it.
		return &FieldError{Field: p, Msg: fmt.Sprintf("bad protobuf at %s: %v", field, err)}
	}
	if field != "" {
		if p != "" {
			p += "."
		}
		p += field
	}
	return &FieldError{Field: p, Msg: fmt.Sprintf("bad protobuf: %v", err)}
}

// want checks that a known field came with the wire type its schema has.
func (r *protoReader) want(name string, got, want protowire.Type) error {
	if got != want {
		return r.fail(name, fmt.Errorf("wire type %d, want %d", got, want))
	}
	return nil
}

func sub(path, field string) string {
	if path == "" {
		return field
	}
	return path + "." + field
}

// DecodeForwardBackwardRequest reads a protobuf ForwardBackwardRequest
// {1 model_id, 2 seq_id int32, 3 data repeated Datum, 4 loss_fn,
// 5 loss_fn_config map<string,double>, 6 forward_only}. Unknown fields are
// skipped, as protobuf readers do; errors name the field.
func DecodeForwardBackwardRequest(b []byte) (ForwardBackwardRequest, error) {
	var req ForwardBackwardRequest
	req.Input.Data = []Datum{}
	r := &protoReader{b: b}
	for {
		num, typ, val, v, ok, err := r.next()
		if err != nil || !ok {
			return req, err
		}
		switch num {
		case 1:
			if err := r.want("model_id", typ, protowire.BytesType); err != nil {
				return req, err
			}
			req.ModelID = string(val)
		case 2:
			if err := r.want("seq_id", typ, protowire.VarintType); err != nil {
				return req, err
			}
			req.SeqID = int64(int32(v))
		case 3:
			if err := r.want("data", typ, protowire.BytesType); err != nil {
				return req, err
			}
			d, err := decodeDatum(val, fmt.Sprintf("data[%d]", len(req.Input.Data)))
			if err != nil {
				return req, err
			}
			req.Input.Data = append(req.Input.Data, d)
		case 4:
			if err := r.want("loss_fn", typ, protowire.BytesType); err != nil {
				return req, err
			}
			req.Input.LossFn = string(val)
		case 5:
			if err := r.want("loss_fn_config", typ, protowire.BytesType); err != nil {
				return req, err
			}
			k, x, err := decodeDoubleEntry(val, "loss_fn_config")
			if err != nil {
				return req, err
			}
			if req.Input.LossFnConfig == nil {
				req.Input.LossFnConfig = map[string]float64{}
			}
			req.Input.LossFnConfig[k] = x
		case 6:
			if err := r.want("forward_only", typ, protowire.VarintType); err != nil {
				return req, err
			}
			req.ForwardOnly = v != 0
		}
	}
}

// decodeDatum reads Datum {1 model_input repeated Chunk, 2 loss_fn_inputs
// map<string,Tensor>}.
func decodeDatum(b []byte, path string) (Datum, error) {
	d := Datum{LossFnInputs: LossFnInputs{}, ModelInput: ModelInput{Chunks: []Chunk{}}}
	r := &protoReader{b: b, path: path}
	for {
		num, typ, val, _, ok, err := r.next()
		if err != nil || !ok {
			return d, err
		}
		switch num {
		case 1:
			if err := r.want("model_input", typ, protowire.BytesType); err != nil {
				return d, err
			}
			c, err := decodeChunk(val, sub(path, fmt.Sprintf("model_input.chunks[%d]", len(d.ModelInput.Chunks))))
			if err != nil {
				return d, err
			}
			d.ModelInput.Chunks = append(d.ModelInput.Chunks, c)
		case 2:
			if err := r.want("loss_fn_inputs", typ, protowire.BytesType); err != nil {
				return d, err
			}
			k, t, err := decodeTensorEntry(val, sub(path, "loss_fn_inputs"))
			if err != nil {
				return d, err
			}
			d.LossFnInputs[k] = t
		}
	}
}

// decodeChunk reads Chunk {oneof 1 encoded_text {1 tokens bytes int32 LE},
// 2 image, 3 dmel}; only token chunks are taken.
func decodeChunk(b []byte, path string) (Chunk, error) {
	c := Chunk{Type: "encoded_text", Tokens: []int{}}
	seen := false
	r := &protoReader{b: b, path: path}
	for {
		num, typ, val, _, ok, err := r.next()
		if err != nil {
			return c, err
		}
		if !ok {
			if !seen {
				return c, &FieldError{Field: path, Msg: "not an encoded_text chunk (image and audio chunks are not supported)"}
			}
			return c, nil
		}
		switch num {
		case 1:
			if err := r.want("encoded_text", typ, protowire.BytesType); err != nil {
				return c, err
			}
			seen = true
			tr := &protoReader{b: val, path: sub(path, "encoded_text")}
			for {
				num, typ, val, _, ok, err := tr.next()
				if err != nil {
					return c, err
				}
				if !ok {
					break
				}
				if num != 1 {
					continue
				}
				if err := tr.want("tokens", typ, protowire.BytesType); err != nil {
					return c, err
				}
				if len(val)%4 != 0 {
					return c, &FieldError{Field: sub(path, "encoded_text.tokens"), Msg: fmt.Sprintf("%d bytes: want int32s (a multiple of 4)", len(val))}
				}
				c.Tokens = c.Tokens[:0]
				for i := 0; i < len(val); i += 4 {
					c.Tokens = append(c.Tokens, int(int32(binary.LittleEndian.Uint32(val[i:]))))
				}
			}
		case 2, 3:
			return c, &FieldError{Field: path, Msg: "image and audio chunks are not supported (token chunks only)"}
		}
	}
}

// decodeTensorEntry reads one map<string,Tensor> entry {1 key, 2 value}.
func decodeTensorEntry(b []byte, path string) (string, TensorData, error) {
	var key string
	var val []byte
	r := &protoReader{b: b, path: path}
	for {
		num, typ, v, _, ok, err := r.next()
		if err != nil {
			return "", TensorData{}, err
		}
		if !ok {
			break
		}
		switch num {
		case 1:
			if err := r.want("key", typ, protowire.BytesType); err != nil {
				return "", TensorData{}, err
			}
			key = string(v)
		case 2:
			if err := r.want("value", typ, protowire.BytesType); err != nil {
				return "", TensorData{}, err
			}
			val = v
		}
	}
	t, err := decodeTensor(val, sub(path, key))
	return key, t, err
}

// decodeTensor reads Tensor {oneof encoding {1 dense bytes, 2 sparse_csr},
// 3 dtype, 4 shape repeated int64}.
func decodeTensor(b []byte, path string) (TensorData, error) {
	var t TensorData
	var dense []byte
	var dtype uint64
	r := &protoReader{b: b, path: path}
	for {
		num, typ, val, v, ok, err := r.next()
		if err != nil {
			return t, err
		}
		if !ok {
			break
		}
		switch num {
		case 1:
			if err := r.want("dense", typ, protowire.BytesType); err != nil {
				return t, err
			}
			dense = val
		case 2:
			return t, &FieldError{Field: sub(path, "sparse_csr"), Msg: "sparse tensors are not supported; send dense data"}
		case 3:
			if err := r.want("dtype", typ, protowire.VarintType); err != nil {
				return t, err
			}
			dtype = v
		case 4:
			switch typ {
			case protowire.BytesType: // packed, proto3's default
				for len(val) > 0 {
					x, n := protowire.ConsumeVarint(val)
					if n < 0 {
						return t, r.fail("shape", protowire.ParseError(n))
					}
					t.Shape = append(t.Shape, int64(x))
					val = val[n:]
				}
			case protowire.VarintType:
				t.Shape = append(t.Shape, int64(v))
			default:
				return t, r.fail("shape", fmt.Errorf("wire type %d", typ))
			}
		}
	}
	switch dtype {
	case pbDTypeFloat32:
		if len(dense)%4 != 0 {
			return t, &FieldError{Field: sub(path, "dense"), Msg: fmt.Sprintf("%d bytes: want float32s (a multiple of 4)", len(dense))}
		}
		t.DType, t.Floats = Float32, make([]float32, len(dense)/4)
		for i := range t.Floats {
			t.Floats[i] = math.Float32frombits(binary.LittleEndian.Uint32(dense[4*i:]))
		}
	case pbDTypeInt64:
		if len(dense)%8 != 0 {
			return t, &FieldError{Field: sub(path, "dense"), Msg: fmt.Sprintf("%d bytes: want int64s (a multiple of 8)", len(dense))}
		}
		t.DType, t.Ints = Int64, make([]int64, len(dense)/8)
		for i := range t.Ints {
			t.Ints[i] = int64(binary.LittleEndian.Uint64(dense[8*i:]))
		}
	default:
		return t, &FieldError{Field: sub(path, "dtype"), Msg: fmt.Sprintf("%d: want 1 (FLOAT32) or 2 (INT64), the public request dtypes", dtype)}
	}
	if err := t.check(); err != nil {
		return t, under(path, err)
	}
	return t, nil
}

// decodeDoubleEntry reads one map<string,double> entry {1 key, 2 value}.
func decodeDoubleEntry(b []byte, path string) (string, float64, error) {
	var key string
	var x float64
	r := &protoReader{b: b, path: path}
	for {
		num, typ, val, v, ok, err := r.next()
		if err != nil {
			return "", 0, err
		}
		if !ok {
			return key, x, nil
		}
		switch num {
		case 1:
			if err := r.want("key", typ, protowire.BytesType); err != nil {
				return "", 0, err
			}
			key = string(val)
		case 2:
			if err := r.want("value", typ, protowire.Fixed64Type); err != nil {
				return "", 0, err
			}
			x = math.Float64frombits(v)
		}
	}
}

// EncodeForwardBackwardRequest writes r as SDK 0.25 does
// (request_conv.forward_backward_request_to_proto), map entries in key
// order so that the bytes are reproducible.
func EncodeForwardBackwardRequest(r ForwardBackwardRequest) []byte {
	var b []byte
	b = appendString(b, 1, r.ModelID)
	if r.SeqID != 0 {
		b = protowire.AppendTag(b, 2, protowire.VarintType)
		b = protowire.AppendVarint(b, uint64(int64(int32(r.SeqID))))
	}
	for _, d := range r.Input.Data {
		b = appendMessage(b, 3, encodeDatum(d))
	}
	b = appendString(b, 4, r.Input.LossFn)
	for _, k := range sortedKeys(r.Input.LossFnConfig) {
		var e []byte
		e = appendString(e, 1, k)
		e = protowire.AppendTag(e, 2, protowire.Fixed64Type)
		e = protowire.AppendFixed64(e, math.Float64bits(r.Input.LossFnConfig[k]))
		b = appendMessage(b, 5, e)
	}
	if r.ForwardOnly {
		b = protowire.AppendTag(b, 6, protowire.VarintType)
		b = protowire.AppendVarint(b, 1)
	}
	return b
}

func encodeDatum(d Datum) []byte {
	var b []byte
	for _, c := range d.ModelInput.Chunks {
		tok := make([]byte, 0, 4*len(c.Tokens))
		for _, t := range c.Tokens {
			tok = binary.LittleEndian.AppendUint32(tok, uint32(int32(t)))
		}
		b = appendMessage(b, 1, appendMessage(nil, 1, appendBytes(nil, 1, tok)))
	}
	for _, k := range sortedKeys(d.LossFnInputs) {
		t := d.LossFnInputs[k]
		var e []byte
		e = appendString(e, 1, k)
		e = appendMessage(e, 2, encodeTensor(t))
		b = appendMessage(b, 2, e)
	}
	return b
}

func encodeTensor(t TensorData) []byte {
	var b []byte
	var data []byte
	dtype := uint64(pbDTypeFloat32)
	if t.DType == Int64 {
		dtype = pbDTypeInt64
		for _, v := range t.Ints {
			data = binary.LittleEndian.AppendUint64(data, uint64(v))
		}
	} else {
		for _, v := range t.Floats {
			data = binary.LittleEndian.AppendUint32(data, math.Float32bits(v))
		}
	}
	// The dense member of a oneof is written even when empty.
	b = protowire.AppendTag(b, 1, protowire.BytesType)
	b = protowire.AppendBytes(b, data)
	b = protowire.AppendTag(b, 3, protowire.VarintType)
	b = protowire.AppendVarint(b, dtype)
	b = appendPackedInts(b, 4, t.Shape)
	return b
}

// EncodeForwardBackwardOutput writes o as the service does
// (ForwardBackwardOutput {1 loss_fn_output_type, 2 loss_fn_outputs repeated
// ArrayRecord, 3 metrics}): one ArrayRecord holding every datum, each field
// a BatchedTensor of the datums' values concatenated with int64 byte
// offsets (response_conv._decode_batched_tensor_to_per_datum_arrays).
// Fields and metrics are written in key order.
func EncodeForwardBackwardOutput(o ForwardBackwardOutput) []byte {
	var b []byte
	b = appendString(b, 1, o.LossFnOutputType)
	if len(o.LossFnOutputs) > 0 {
		var rec []byte
		names := map[string]bool{}
		for _, d := range o.LossFnOutputs {
			for k := range d {
				names[k] = true
			}
		}
		for _, name := range sortedKeys(names) {
			var data, offsets []byte
			var dtype TensorData
			var trailing []int64
			offsets = binary.LittleEndian.AppendUint64(offsets, 0)
			for _, d := range o.LossFnOutputs {
				t, ok := d[name]
				if ok {
					dtype = t
					if len(t.Shape) > 1 {
						trailing = t.Shape[1:]
					}
					if t.DType == Int64 {
						for _, v := range t.Ints {
							data = binary.LittleEndian.AppendUint64(data, uint64(v))
						}
					} else {
						for _, v := range t.Floats {
							data = binary.LittleEndian.AppendUint32(data, math.Float32bits(v))
						}
					}
				}
				offsets = binary.LittleEndian.AppendUint64(offsets, uint64(len(data)))
			}
			var bt []byte
			bt = appendBytes(bt, 1, data)
			bt = appendBytes(bt, 2, offsets)
			bt = protowire.AppendTag(bt, 3, protowire.VarintType)
			if dtype.DType == Int64 {
				bt = protowire.AppendVarint(bt, pbDTypeInt64)
			} else {
				bt = protowire.AppendVarint(bt, pbDTypeFloat32)
			}
			bt = appendPackedInts(bt, 4, trailing)
			var e []byte
			e = appendString(e, 1, name)
			e = appendMessage(e, 2, bt)
			rec = appendMessage(rec, 2, e)
		}
		rec = protowire.AppendTag(rec, 3, protowire.VarintType)
		rec = protowire.AppendVarint(rec, uint64(len(o.LossFnOutputs)))
		b = appendMessage(b, 2, rec)
	}
	for _, k := range sortedKeys(o.Metrics) {
		var e []byte
		e = appendString(e, 1, k)
		e = protowire.AppendTag(e, 2, protowire.Fixed64Type)
		e = protowire.AppendFixed64(e, math.Float64bits(o.Metrics[k]))
		b = appendMessage(b, 3, e)
	}
	return b
}

// EncodeSampleResponse writes r as SampleResponse {1 sequences
// repeated SampledSequence {1 stop_reason, 2 tokens int32 LE, 3 logprobs
// float32 LE}, 2 prompt_logprobs float32 LE (NaN for none)}.
func EncodeSampleResponse(r SampleResponse) []byte {
	var b []byte
	for _, s := range r.Sequences {
		var sb []byte
		if s.StopReason == StopReasonLength {
			sb = protowire.AppendTag(sb, 1, protowire.VarintType)
			sb = protowire.AppendVarint(sb, pbStopReasonLength)
		}
		tok := make([]byte, 0, 4*len(s.Tokens))
		for _, t := range s.Tokens {
			tok = binary.LittleEndian.AppendUint32(tok, uint32(int32(t)))
		}
		sb = appendBytes(sb, 2, tok)
		if s.Logprobs != nil {
			sb = protowire.AppendTag(sb, 3, protowire.BytesType)
			sb = protowire.AppendBytes(sb, float32Bytes(s.Logprobs))
		}
		b = appendMessage(b, 1, sb)
	}
	if r.PromptLogprobs != nil {
		b = protowire.AppendTag(b, 2, protowire.BytesType)
		b = protowire.AppendBytes(b, float32Bytes(r.PromptLogprobs))
	}
	return b
}

func float32Bytes(v []float32) []byte {
	out := make([]byte, 0, 4*len(v))
	for _, f := range v {
		out = binary.LittleEndian.AppendUint32(out, math.Float32bits(f))
	}
	return out
}

// appendString writes a string field, skipping the empty string as proto3
// does for a scalar at its default.
func appendString(b []byte, num protowire.Number, s string) []byte {
	if s == "" {
		return b
	}
	b = protowire.AppendTag(b, num, protowire.BytesType)
	return protowire.AppendString(b, s)
}

// appendBytes writes a bytes field, skipping empty bytes (proto3 default).
func appendBytes(b []byte, num protowire.Number, v []byte) []byte {
	if len(v) == 0 {
		return b
	}
	b = protowire.AppendTag(b, num, protowire.BytesType)
	return protowire.AppendBytes(b, v)
}

func appendMessage(b []byte, num protowire.Number, m []byte) []byte {
	b = protowire.AppendTag(b, num, protowire.BytesType)
	return protowire.AppendBytes(b, m)
}

func appendPackedInts(b []byte, num protowire.Number, v []int64) []byte {
	if len(v) == 0 {
		return b
	}
	var p []byte
	for _, x := range v {
		p = protowire.AppendVarint(p, uint64(x))
	}
	b = protowire.AppendTag(b, num, protowire.BytesType)
	return protowire.AppendBytes(b, p)
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
