package runtime

import "testing"

func benchClick() codecClick {
	return codecClick{UserID: 1234567, Page: "/products/42/reviews", Ts: 1763740800123, Score: 0.875, Country: "NL", Flags: 0x15}
}

func BenchmarkCodecEncodeClick(b *testing.B) {
	c, err := CodecFor[codecClick](NewCodecRegistry())
	if err != nil {
		b.Fatal(err)
	}
	v := benchClick()
	buf := make([]byte, 0, 128)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		buf = c.Append(buf[:0], v)
	}
	b.SetBytes(int64(len(buf)))
}

func BenchmarkCodecDecodeClick(b *testing.B) {
	c, err := CodecFor[codecClick](NewCodecRegistry())
	if err != nil {
		b.Fatal(err)
	}
	buf := c.Append(nil, benchClick())
	b.SetBytes(int64(len(buf)))
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, _, err := c.Decode(buf); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkCodecEncodeInt64(b *testing.B) {
	c, _ := CodecFor[int64](NewCodecRegistry())
	buf := make([]byte, 0, 16)
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		buf = c.Append(buf[:0], int64(i))
	}
}

func BenchmarkCodecDecodeString(b *testing.B) {
	c, _ := CodecFor[string](NewCodecRegistry())
	buf := c.Append(nil, "a word of moderate length")
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		if _, _, err := c.Decode(buf); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkCodecEncodeAll(b *testing.B) {
	c, err := CodecFor[codecAll](NewCodecRegistry())
	if err != nil {
		b.Fatal(err)
	}
	v := codecSample()
	v.Map = nil // map encoding allocates (reflect iteration); measured apart
	v.MapSt = nil
	buf := make([]byte, 0, 512)
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		buf = c.Append(buf[:0], v)
	}
}
