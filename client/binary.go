package client

import (
	"debug/elf"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"
)

// Platform is the operating system and architecture a job binary must be
// built for, in Go's GOOS/GOARCH spelling.
type Platform struct {
	OS   string
	Arch string
}

// String returns "os/arch", the form GOOS/GOARCH users know.
func (p Platform) String() string { return p.OS + "/" + p.Arch }

// ClusterPlatform is what YARN NodeManagers run: Floe supports Linux on amd64
// and arm64 nodes; the default is amd64.
func ClusterPlatform(arch string) Platform {
	if arch == "" {
		arch = "amd64"
	}
	return Platform{OS: "linux", Arch: arch}
}

// goarch names an ELF machine type the way GOARCH does ("" when Go has no
// name for it).
func goarch(m elf.Machine) string {
	switch m {
	case elf.EM_X86_64:
		return "amd64"
	case elf.EM_AARCH64:
		return "arm64"
	case elf.EM_386:
		return "386"
	case elf.EM_ARM:
		return "arm"
	case elf.EM_PPC64:
		return "ppc64"
	case elf.EM_S390:
		return "s390x"
	case elf.EM_RISCV:
		return "riscv64"
	}
	return ""
}

// CheckJobBinary verifies before anything is uploaded or submitted that path
// names a job binary a TaskManager container can execute: it exists, is a
// regular executable file, and is an ELF executable for want. Each error names
// the problem and the fix.
func CheckJobBinary(path string, want Platform) error {
	st, err := os.Stat(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return fmt.Errorf("job binary %s does not exist: build it with `GOOS=%s GOARCH=%s go build -o %s ./yourjob` or pass an existing path", path, want.OS, want.Arch, path)
	case err != nil:
		return fmt.Errorf("job binary %s: %w", path, err)
	case st.IsDir():
		return fmt.Errorf("job binary %s is a directory: pass the compiled program, not its source folder", path)
	case !st.Mode().IsRegular():
		return fmt.Errorf("job binary %s is not a regular file (%s)", path, st.Mode().Type())
	case st.Mode().Perm()&0o111 == 0:
		return fmt.Errorf("job binary %s is not executable: run `chmod +x %s`", path, path)
	}
	f, err := elf.Open(path)
	if err != nil {
		return fmt.Errorf("job binary %s is not a %s executable (%s): build it with `GOOS=%s GOARCH=%s go build`", path, want, describeNonELF(path), want.OS, want.Arch)
	}
	defer func() { _ = f.Close() }() // read-only
	got := Platform{OS: "linux", Arch: goarch(f.Machine)}
	if got.Arch == "" {
		got.Arch = strings.ToLower(strings.TrimPrefix(f.Machine.String(), "EM_"))
	}
	if f.OSABI != elf.ELFOSABI_NONE && f.OSABI != elf.ELFOSABI_LINUX {
		got.OS = strings.ToLower(strings.TrimPrefix(f.OSABI.String(), "ELFOSABI_"))
	}
	if got != want {
		return fmt.Errorf("job binary %s is built for %s but the cluster runs %s: rebuild it with `GOOS=%s GOARCH=%s go build`", path, got, want, want.OS, want.Arch)
	}
	if f.Type != elf.ET_EXEC && f.Type != elf.ET_DYN {
		return fmt.Errorf("job binary %s is an ELF %s, not an executable: build it with `go build` (package main)", path, f.Type)
	}
	return nil
}

// describeNonELF guesses what a non-ELF file is from its first bytes, so the
// error says "Mach-O (macOS)" instead of a bare "not ELF".
func describeNonELF(path string) string {
	f, err := os.Open(path)
	if err != nil {
		return err.Error()
	}
	defer func() { _ = f.Close() }() // read-only
	head := make([]byte, 4)
	n, _ := f.Read(head)
	head = head[:n]
	switch {
	case len(head) >= 4 && (string(head) == "\xcf\xfa\xed\xfe" || string(head) == "\xce\xfa\xed\xfe" || string(head) == "\xca\xfe\xba\xbe"):
		return "a Mach-O binary for macOS"
	case len(head) >= 2 && string(head[:2]) == "MZ":
		return "a Windows PE binary"
	case len(head) >= 2 && string(head[:2]) == "#!":
		return "a script"
	default:
		return "not an ELF file"
	}
}
