package standalone

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/floe-yarn/floe/contract"
)

// SecretFileName is the cluster secret's file in the configuration folder,
// written by the cluster scripts (mode 0600).
const SecretFileName = ".floe-cluster-secret"

// ConfDir is the configuration folder the standalone scripts and the CLI
// share: FLOE_CONF_DIR, else conf/ next to the bin/ folder of the running
// floe binary (Flink's layout: bin/flink reads ../conf).
func ConfDir(getenv func(string) string) string {
	if d := getenv(contract.EnvConfDir); d != "" {
		return d
	}
	exe, err := os.Executable()
	if err != nil {
		return ""
	}
	if r, err := filepath.EvalSymlinks(exe); err == nil {
		exe = r
	}
	return filepath.Join(filepath.Dir(filepath.Dir(exe)), "conf")
}

// FindSecretFile is the secret file for a JobManager at addr:
// FLOE_SECRET_FILE, else SecretFileName in ConfDir. The error says where
// it looked and what to do.
func FindSecretFile(getenv func(string) string, addr string) (string, error) {
	if f := getenv(contract.EnvSecretFile); f != "" {
		return f, nil
	}
	dir := ConfDir(getenv)
	f := filepath.Join(dir, SecretFileName)
	if _, err := os.Stat(f); err == nil {
		return f, nil
	} else if !errors.Is(err, os.ErrNotExist) {
		return "", fmt.Errorf("cluster secret %s: %w", f, err)
	}
	return "", fmt.Errorf("no secret for the JobManager at %s: %s does not exist; a cluster started with scripts/start-cluster.sh "+
		"writes it into its configuration folder: run the CLI with that folder (%s=<folder>), copy the file from the "+
		"JobManager's host (keep it mode 0600), or set %s to the secret file", addr, f, contract.EnvConfDir, contract.EnvSecretFile)
}
