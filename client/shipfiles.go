package client

import (
	"context"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"

	"github.com/floe-yarn/floe/conf"
	"github.com/floe-yarn/floe/contract"
	"github.com/floe-yarn/floe/hdfsstore"
	"github.com/floe-yarn/floe/yarnrpc"
)

// shipFiles stages yarn.ship-files (Flink's -yt): every local file or
// folder is uploaded to <staging>/ship/<name>, and each of its files
// becomes a LocalResource linked as "<name>/<path inside>" (a file as
// "<name>"), so that the AM and every TaskManager find them in their
// working folder under the name the user gave. It returns the resources
// and the bytes uploaded.
func shipFiles(ctx context.Context, st *hdfsstore.Store, entries []string, staging string) ([]contract.ShippedFile, int64, error) {
	if len(entries) == 0 {
		return nil, 0, nil
	}
	var out []contract.ShippedFile
	var uploaded int64
	seen := map[string]string{}
	for _, e := range entries {
		if strings.Contains(e, "://") && !strings.HasPrefix(e, "file://") {
			return nil, 0, fmt.Errorf("%w: %s: %s is not a local file; ship files from HDFS with %s", ErrBadInput, conf.YarnShipFiles, e, conf.YarnProvidedLibDirs)
		}
		local, err := filepath.Abs(strings.TrimPrefix(e, "file://"))
		if err != nil {
			return nil, 0, err
		}
		root, err := os.Stat(local)
		if err != nil {
			return nil, 0, fmt.Errorf("%w: %s: %s: no such file or folder", ErrBadInput, conf.YarnShipFiles, local)
		}
		name := filepath.Base(local)
		if prev, dup := seen[name]; dup {
			return nil, 0, fmt.Errorf("%w: %s: %s and %s would both be %q in the containers; rename one", ErrBadInput, conf.YarnShipFiles, prev, local, name)
		}
		seen[name] = local
		dst := joinURI(staging, contract.DirShip, name)
		if err := st.Upload(ctx, local, dst, nil); err != nil {
			return nil, 0, fmt.Errorf("%s: upload %s: %w", conf.YarnShipFiles, local, err)
		}
		err = filepath.WalkDir(local, func(p string, d fs.DirEntry, err error) error {
			if err != nil || !d.Type().IsRegular() {
				return err
			}
			rel, err := filepath.Rel(local, p)
			if err != nil {
				return err
			}
			link, remote := name, dst
			if root.IsDir() {
				link, remote = path.Join(name, filepath.ToSlash(rel)), joinURI(dst, filepath.ToSlash(rel))
			}
			fi, err := st.Stat(ctx, remote)
			if err != nil {
				return err
			}
			out = append(out, contract.ShippedFile{Link: link, URL: fi.Path, Size: fi.Size, Timestamp: fi.ModTimeMillis()})
			uploaded += fi.Size
			return nil
		})
		if err != nil {
			return nil, 0, fmt.Errorf("%s: %s: %w", conf.YarnShipFiles, local, err)
		}
	}
	return out, uploaded, nil
}

// shipEnv adds the shipped files to the AM's resources and environment.
func shipEnv(files []contract.ShippedFile, lrs map[string]yarnrpc.LocalResource, env map[string]string) error {
	if len(files) == 0 {
		return nil
	}
	for _, f := range files {
		if _, taken := lrs[f.Link]; taken {
			return fmt.Errorf("%w: %s: %q is a name Floe uses in the containers; rename it", ErrBadInput, conf.YarnShipFiles, f.Link)
		}
		lrs[f.Link] = yarnrpc.LocalResource{URL: f.URL, Size: f.Size, Timestamp: f.Timestamp, Visibility: yarnrpc.VisibilityApplication}
	}
	v, err := contract.EncodeShipFiles(files)
	if err != nil {
		return err
	}
	env[contract.EnvShipFiles] = v
	return nil
}
