package client

import (
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

func TestCheckJobBinary(t *testing.T) {
	dir := t.TempDir()
	write := func(name string, data []byte, mode os.FileMode) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, data, mode); err != nil {
			t.Fatal(err)
		}
		return p
	}
	self, err := os.Executable() // the test binary: a real ELF for this machine
	if err != nil {
		t.Fatal(err)
	}
	host := Platform{OS: "linux", Arch: runtime.GOARCH}
	other := Platform{OS: "linux", Arch: "arm64"}
	if runtime.GOARCH == "arm64" {
		other.Arch = "amd64"
	}
	elfBytes, err := os.ReadFile(self)
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name    string
		path    string
		want    Platform
		wantErr string // substring; "" means no error
	}{
		{"missing", filepath.Join(dir, "nope"), host, "does not exist"},
		{"directory", dir, host, "is a directory"},
		{"not executable", write("noexec", elfBytes, 0o644), host, "chmod +x"},
		{"script", write("run.sh", []byte("#!/bin/sh\necho hi\n"), 0o755), host, "a script"},
		{"macos", write("mac", []byte("\xcf\xfa\xed\xfe\x07\x00\x00\x01rest"), 0o755), host, "Mach-O"},
		{"windows", write("win.exe", []byte("MZ\x90\x00rest"), 0o755), host, "Windows PE"},
		{"other arch", write("elf", elfBytes, 0o755), other, "built for linux/" + runtime.GOARCH},
		{"good", write("good", elfBytes, 0o755), host, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := CheckJobBinary(tc.path, tc.want)
			if tc.wantErr == "" {
				if err != nil {
					t.Fatalf("unexpected error: %v", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Fatalf("error = %v, want it to contain %q", err, tc.wantErr)
			}
		})
	}
}

func TestCheckJobBinaryCrossBuilt(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a program")
	}
	dir := t.TempDir()
	src := filepath.Join(dir, "main.go")
	if err := os.WriteFile(src, []byte("package main\nfunc main(){}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "job")
	cmd := exec.Command("go", "build", "-o", out, src)
	cmd.Env = append(os.Environ(), "GOOS=linux", "GOARCH=arm64", "CGO_ENABLED=0")
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, b)
	}
	if err := CheckJobBinary(out, ClusterPlatform("arm64")); err != nil {
		t.Fatalf("arm64 binary against arm64 cluster: %v", err)
	}
	err := CheckJobBinary(out, ClusterPlatform("amd64"))
	if err == nil || !strings.Contains(err.Error(), "built for linux/arm64 but the cluster runs linux/amd64") {
		t.Fatalf("arm64 binary against amd64 cluster: %v", err)
	}
}
