package contract

import (
	"strings"
	"testing"
)

func TestShipFilesEncoding(t *testing.T) {
	in := []ShippedFile{{Link: "conf/{{odd}}.json", URL: "hdfs://nn:8020/s/ship/conf/{{odd}}.json", Size: 3, Timestamp: 42},
		{Link: `q"uote`, URL: "hdfs://nn:8020/s/ship/q", Size: 0, Timestamp: 1}}
	v, err := EncodeShipFiles(in)
	if err != nil {
		t.Fatal(err)
	}
	for _, bad := range []string{"{{", "}}", `"`, "$", " "} {
		if strings.Contains(v, bad) {
			t.Fatalf("encoded value %q holds %q, which YARN's launch script would expand", v, bad)
		}
	}
	out, err := DecodeShipFiles(v)
	if err != nil || len(out) != 2 || out[0] != in[0] || out[1] != in[1] {
		t.Fatalf("round trip: %+v, %v", out, err)
	}
	if _, err := DecodeShipFiles("not base64!"); err == nil || !strings.Contains(err.Error(), EnvShipFiles) {
		t.Fatalf("bad value: %v", err)
	}
}
