package runtime

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"
)

type codecClick struct {
	UserID  int64
	Page    string
	Ts      int64
	Score   float64
	Country string
	Flags   uint32
}

type codecInner struct {
	A int16
	B []string
}

type codecAll struct {
	Bool    bool
	Int     int
	I8      int8
	I16     int16
	I32     int32
	I64     int64
	U       uint
	U8      uint8
	U16     uint16
	U32     uint32
	U64     uint64
	UP      uintptr
	F32     float32
	F64     float64
	C64     complex64
	C128    complex128
	S       string
	Bytes   []byte
	Inner   codecInner
	PInner  *codecInner
	NilPtr  *int
	Arr     [3]int32
	Slice   []codecInner
	NilSl   []int
	Map     map[string]int
	NilMap  map[int]string
	MapSt   map[int32]codecInner
	Nested  [][]uint16
	When    time.Time
	Empty   struct{}
	Empties []struct{}
	_       int
}

type codecNode struct {
	Val  int
	Next *codecNode
	Kids []codecNode
}

type codecTree map[string]codecTree

type codecEmbedded struct {
	codecExported
	Own string
}

type codecExported struct{ X, Y int }

type codecCelsius float64

type codecWithCelsius struct {
	Name string
	Temp codecCelsius
	All  []codecCelsius
}

// codecCelsiusCodec writes tenths of a degree as a string, so a test can
// tell it apart from the default float encoding.
type codecCelsiusCodec struct{}

func (codecCelsiusCodec) Append(dst []byte, v codecCelsius) []byte {
	s := strconv.FormatInt(int64(math.Round(float64(v)*10)), 10)
	dst = append(dst, byte(len(s)))
	return append(dst, s...)
}

func (codecCelsiusCodec) Decode(src []byte) (codecCelsius, int, error) {
	if len(src) < 1 || int(src[0]) > len(src)-1 {
		return 0, 0, errors.New("short celsius")
	}
	n := int(src[0])
	x, err := strconv.ParseInt(string(src[1:1+n]), 10, 64)
	if err != nil {
		return 0, 0, err
	}
	return codecCelsius(float64(x) / 10), 1 + n, nil
}

func codecRoundTrip[T any](t *testing.T, r *CodecRegistry, v T) T {
	t.Helper()
	c, err := CodecFor[T](r)
	if err != nil {
		t.Fatalf("CodecFor[%T]: %v", v, err)
	}
	prefix := []byte("xyz")
	b := c.Append(append([]byte(nil), prefix...), v)
	if string(b[:3]) != "xyz" {
		t.Fatalf("Append overwrote the prefix: %q", b[:3])
	}
	// Trailing bytes are left alone and not counted.
	b = append(b, 0xEE, 0xEE)
	got, n, err := c.Decode(b[3:])
	if err != nil {
		t.Fatalf("Decode %T: %v (bytes %x)", v, err, b)
	}
	if n != len(b)-5 {
		t.Fatalf("Decode %T used %d bytes, encoding has %d", v, n, len(b)-5)
	}
	// Every strict prefix of the encoding must fail cleanly.
	for i := 0; i < n; i++ {
		if _, _, err := c.Decode(b[3 : 3+i]); err == nil {
			t.Fatalf("Decode %T of a %d-byte prefix of %d bytes succeeded", v, i, n)
		} else if !errors.Is(err, ErrCorruptRecord) {
			t.Fatalf("Decode %T of a prefix: %v, want ErrCorruptRecord", v, err)
		}
	}
	return got
}

func codecCheck[T any](v T) func(t *testing.T, r *CodecRegistry) {
	return func(t *testing.T, r *CodecRegistry) {
		got := codecRoundTrip(t, r, v)
		if !reflect.DeepEqual(got, v) {
			t.Fatalf("round trip of %T:\n got %#v\nwant %#v", v, got, v)
		}
	}
}

func codecSample() codecAll {
	return codecAll{
		Bool: true, Int: -1 << 40, I8: -128, I16: math.MinInt16, I32: math.MaxInt32, I64: math.MinInt64,
		U: math.MaxUint, U8: 255, U16: math.MaxUint16, U32: math.MaxUint32, U64: math.MaxUint64, UP: 12345,
		F32: -1.5, F64: math.Pi, C64: complex(1, -2), C128: complex(math.Inf(1), 3),
		S: "héllo, wörld", Bytes: []byte{0, 1, 2, 255},
		Inner:   codecInner{A: -7, B: []string{"a", "", "ccc"}},
		PInner:  &codecInner{A: 9, B: []string{}},
		Arr:     [3]int32{1, -2, 3},
		Slice:   []codecInner{{A: 1}, {A: 2, B: []string{"x"}}},
		Map:     map[string]int{"one": 1, "two": 2, "": 0},
		MapSt:   map[int32]codecInner{5: {A: 5, B: []string{"five"}}},
		Nested:  [][]uint16{{1, 2}, nil, {}},
		When:    time.Date(2026, 11, 21, 16, 30, 0, 123456789, time.UTC),
		Empties: []struct{}{{}, {}, {}},
	}
}

func TestCodecRoundTrip(t *testing.T) {
	cases := []struct {
		name  string
		check func(t *testing.T, r *CodecRegistry)
	}{
		{"bool", codecCheck(true)},
		{"int", codecCheck(-42)},
		{"int max", codecCheck(math.MaxInt)},
		{"int8", codecCheck(int8(-100))},
		{"int16", codecCheck(int16(-30000))},
		{"int32", codecCheck(int32(math.MinInt32))},
		{"int64", codecCheck(int64(math.MaxInt64))},
		{"uint", codecCheck(uint(7))},
		{"uint8", codecCheck(uint8(200))},
		{"uint16", codecCheck(uint16(65535))},
		{"uint32", codecCheck(uint32(1 << 31))},
		{"uint64", codecCheck(uint64(math.MaxUint64))},
		{"uintptr", codecCheck(uintptr(99))},
		{"float32", codecCheck(float32(3.25))},
		{"float64", codecCheck(-0.1)},
		{"float64 inf", codecCheck(math.Inf(-1))},
		{"complex128", codecCheck(complex(1.5, -2.5))},
		{"string empty", codecCheck("")},
		{"string", codecCheck("a record")},
		{"string long", codecCheck(strings.Repeat("x", 70000))},
		{"bytes nil", codecCheck([]byte(nil))},
		{"bytes empty", codecCheck([]byte{})},
		{"bytes", codecCheck([]byte("\x00\xffabc"))},
		{"slice of int64", codecCheck([]int64{1, -1, math.MaxInt64})},
		{"slice nil", codecCheck([]string(nil))},
		{"array", codecCheck([4]string{"a", "b", "", "d"})},
		{"map", codecCheck(map[string][]int{"a": {1}, "b": nil})},
		{"map nil", codecCheck(map[string]int(nil))},
		{"map empty", codecCheck(map[string]int{})},
		{"pointer", codecCheck(&codecClick{UserID: 1})},
		{"pointer nil", codecCheck((*codecClick)(nil))},
		{"click", codecCheck(codecClick{UserID: 42, Page: "/home", Ts: 1700000000000, Score: 0.5, Country: "NL", Flags: 3})},
		{"click zero", codecCheck(codecClick{})},
		{"all kinds", codecCheck(codecSample())},
		{"all zero", codecCheck(codecAll{})},
		{"recursive", codecCheck(codecNode{Val: 1, Next: &codecNode{Val: 2}, Kids: []codecNode{{Val: 3}}})},
		{"recursive map", codecCheck(codecTree{"a": {"b": nil, "c": {}}})},
		{"embedded", codecCheck(codecEmbedded{codecExported{1, 2}, "own"})},
		{"empty struct", codecCheck(struct{}{})},
		{"time utc", codecCheck(time.Date(1999, 1, 2, 3, 4, 5, 6, time.UTC))},
		{"time zero", codecCheck(time.Time{})},
		{"anonymous struct", codecCheck(struct {
			K string
			V float32
		}{"k", 2})},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) { tc.check(t, NewCodecRegistry()) })
	}
}

func TestCodecNilRegistry(t *testing.T) {
	c, err := CodecFor[codecClick](nil)
	if err != nil {
		t.Fatal(err)
	}
	v := codecClick{UserID: 9, Page: "p"}
	if got, _, err := c.Decode(c.Append(nil, v)); err != nil || got != v {
		t.Fatalf("got %v %v", got, err)
	}
	if _, err := CodecFor[chan int](nil); !errors.Is(err, ErrNoCodec) {
		t.Fatalf("chan with a nil registry: %v", err)
	}
}

func TestCodecTimeKeepsInstantAndOffset(t *testing.T) {
	in := time.Date(2026, 3, 1, 12, 0, 0, 5, time.FixedZone("CET", 3600))
	got := codecRoundTrip(t, NewCodecRegistry(), in)
	if !got.Equal(in) {
		t.Fatalf("instant: got %v want %v", got, in)
	}
	if _, off := got.Zone(); off != 3600 {
		t.Fatalf("offset: got %d want 3600", off)
	}
}

func TestCodecUserCodecWins(t *testing.T) {
	r := NewCodecRegistry()
	// Build the default first, so registration must invalidate the cache.
	if _, err := CodecFor[codecWithCelsius](r); err != nil {
		t.Fatal(err)
	}
	RegisterCodec[codecCelsius](r, codecCelsiusCodec{})

	top, err := CodecFor[codecCelsius](r)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := top.(codecCelsiusCodec); !ok {
		t.Fatalf("CodecFor returned %T, want the registered codecCelsiusCodec", top)
	}
	v := codecWithCelsius{Name: "x", Temp: 21.5, All: []codecCelsius{-3.2, 0}}
	c, err := CodecFor[codecWithCelsius](r)
	if err != nil {
		t.Fatal(err)
	}
	b := c.Append(nil, v)
	want := []byte{1, 'x', 3, '2', '1', '5', 3 /* len+1 */, 3, '-', '3', '2', 1, '0'}
	if string(b) != string(want) {
		t.Fatalf("encoding %x, want %x (the user codec for the nested fields)", b, want)
	}
	if got := codecRoundTrip(t, r, v); !reflect.DeepEqual(got, v) {
		t.Fatalf("round trip: got %+v want %+v", got, v)
	}
}

type codecUnexported struct {
	Public string
	secret int //nolint:unused // only here for CodecFor to reject
}

type codecWithChan struct {
	Name string
	C    chan int
}

type codecWithAny struct {
	Deep struct{ V []any }
}

type codecStringer interface{ String() string }

type codecIfaceImpl struct{ S string }

func (c codecIfaceImpl) String() string { return c.S }

type codecStringerCodec struct{}

func (codecStringerCodec) Append(dst []byte, v codecStringer) []byte {
	return binary.AppendUvarint(dst, uint64(len(v.String()))) // a length is enough for this test
}

func (codecStringerCodec) Decode(src []byte) (codecStringer, int, error) {
	l, n := binary.Uvarint(src)
	if n <= 0 {
		return nil, 0, errors.New("bad")
	}
	return codecIfaceImpl{S: strings.Repeat("?", int(l))}, n, nil
}

func codecErrFor[T any](r *CodecRegistry) error { _, err := CodecFor[T](r); return err }

func TestCodecUnsupportedTypes(t *testing.T) {
	cases := []struct {
		name string
		err  func(r *CodecRegistry) error
		want []string
	}{
		{"chan", codecErrFor[chan int], []string{"chan int", "runtime.RegisterCodec"}},
		{"func", codecErrFor[func()], []string{"func()", "cannot be encoded"}},
		{"any", codecErrFor[any], []string{"interface"}},
		{"unexported field", codecErrFor[codecUnexported], []string{"codecUnexported.secret", "unexported"}},
		{"chan field", codecErrFor[codecWithChan], []string{"codecWithChan.C", "chan int"}},
		{"any deep in slice", codecErrFor[codecWithAny], []string{"codecWithAny.Deep.V[]", "interface"}},
		{"map of func", codecErrFor[map[string]func()], []string{"[value]", "func()"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.err(NewCodecRegistry())
			if !errors.Is(err, ErrNoCodec) {
				t.Fatalf("error %v, want ErrNoCodec", err)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not mention %q", err, w)
				}
			}
		})
	}
}

func TestCodecRegisteredInterface(t *testing.T) {
	r := NewCodecRegistry()
	if err := codecErrFor[[]codecStringer](r); !errors.Is(err, ErrNoCodec) {
		t.Fatalf("before registration: %v, want ErrNoCodec", err)
	}
	RegisterCodec[codecStringer](r, codecStringerCodec{})
	got := codecRoundTrip(t, r, []codecStringer{codecIfaceImpl{"ab"}, codecIfaceImpl{"abc"}})
	if len(got) != 2 || got[0].String() != "??" || got[1].String() != "???" {
		t.Fatalf("got %v", got)
	}
}

func TestCodecCorruptInput(t *testing.T) {
	type lens struct {
		S  string
		B  []byte
		L  []int64
		M  map[string]string
		E  []struct{}
		P  *int
		OK bool
	}
	c, err := CodecFor[lens](NewCodecRegistry())
	if err != nil {
		t.Fatal(err)
	}
	huge := binary.AppendUvarint(nil, math.MaxUint64>>1)
	cases := []struct {
		name string
		in   []byte
	}{
		{"empty", nil},
		{"string length beyond input", append([]byte{}, huge...)},
		{"bytes length beyond input", append([]byte{0}, huge...)},
		{"slice count beyond input", append([]byte{0, 0}, huge...)},
		{"map count beyond input", append([]byte{0, 0, 0}, huge...)},
		{"empty-struct count too large", append([]byte{0, 0, 0, 0}, huge...)},
		{"bad pointer flag", []byte{0, 0, 0, 0, 0, 7}},
		{"bad bool", []byte{0, 0, 0, 0, 0, 0, 2}},
		{"varint overflow", []byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, n, err := c.Decode(tc.in)
			if !errors.Is(err, ErrCorruptRecord) || n != 0 {
				t.Fatalf("Decode(%x) = n %d, err %v; want ErrCorruptRecord", tc.in, n, err)
			}
		})
	}
	if _, _, err := c.Decode([]byte{0, 0, 0, 0, 0, 0, 1}); err != nil {
		t.Fatalf("valid input: %v", err)
	}
	// Narrow integers reject values that do not fit.
	c16, _ := CodecFor[int16](NewCodecRegistry())
	if _, _, err := c16.Decode(binary.AppendVarint(nil, 1<<20)); !errors.Is(err, ErrCorruptRecord) {
		t.Fatalf("int16 out of range: %v", err)
	}
}

func TestCodecConcurrentUse(t *testing.T) {
	r := NewCodecRegistry()
	done := make(chan error)
	for g := 0; g < 4; g++ {
		go func() {
			c, err := CodecFor[codecClick](r)
			if err != nil {
				done <- err
				return
			}
			var buf []byte
			for i := 0; i < 500; i++ {
				v := codecClick{UserID: int64(g*1000 + i), Page: fmt.Sprint(i)}
				buf = c.Append(buf[:0], v)
				got, _, err := c.Decode(buf)
				if err != nil || got != v {
					done <- fmt.Errorf("got %v %v want %v", got, err, v)
					return
				}
			}
			done <- nil
		}()
	}
	for g := 0; g < 4; g++ {
		if err := <-done; err != nil {
			t.Fatal(err)
		}
	}
}

func TestCodecByteArrayFastPath(t *testing.T) {
	type rec struct {
		ID   [4]byte
		Tail [3]int8
		N    int64
	}
	c, err := CodecFor[rec](nil)
	if err != nil {
		t.Fatal(err)
	}
	v := rec{ID: [4]byte{1, 2, 0xff, 4}, Tail: [3]int8{-1, 0, 127}, N: 300}
	b := c.Append(nil, v)
	// Raw bytes for both arrays, then the zig-zag varint of 300.
	want := []byte{1, 2, 0xff, 4, 0xff, 0, 127, 0xd8, 0x04}
	if string(b) != string(want) {
		t.Fatalf("encoded % x, want % x", b, want)
	}
	got, n, err := c.Decode(b)
	if err != nil || n != len(b) || got != v {
		t.Fatalf("decode = %+v, %d, %v", got, n, err)
	}
	if _, _, err := c.Decode(b[:2]); err == nil {
		t.Fatal("decoding a truncated array succeeded")
	}
}
