package aggregatedlog

import (
	"fmt"
	"strconv"
	"strings"
)

// The records of an aggregated log file (AggregatedLogFormat), each a
// TFile record whose key is a writeUTF string:
//
//	key "VERSION" | "APPLICATION_OWNER" | "APPLICATION_ACL"   metadata, skipped
//	key <container id>                                       value: repeated
//	    writeUTF name | writeUTF decimal length | length bytes
//
// A container whose logs were uploaded more than once (rolling
// aggregation) has one record per upload; its files are appended in order.

// File is one log file of a container.
type File struct {
	Name string
	Data []byte
}

// Container is one container's logs in one NodeManager's file.
type Container struct {
	ID    string
	Files []File
}

var metaKeys = map[string]bool{"VERSION": true, "APPLICATION_OWNER": true, "APPLICATION_ACL": true}

// Parse reads one NodeManager's aggregated log file (the whole file in b)
// and returns its containers in file order.
func Parse(b []byte) ([]Container, error) {
	recs, err := readTFile(b)
	if err != nil {
		return nil, err
	}
	var out []Container
	at := map[string]int{}
	for _, rec := range recs {
		kr := &reader{b: rec.key}
		key, err := kr.utf()
		if err != nil {
			return nil, fmt.Errorf("aggregated log: record key: %w", err)
		}
		if metaKeys[key] {
			continue
		}
		files, err := logFiles(rec.value)
		if err != nil {
			return nil, fmt.Errorf("aggregated log: container %s: %w", key, err)
		}
		i, ok := at[key]
		if !ok {
			i = len(out)
			at[key] = i
			out = append(out, Container{ID: key})
		}
		out[i].Files = append(out[i].Files, files...)
	}
	return out, nil
}

func logFiles(v []byte) ([]File, error) {
	r := &reader{b: v}
	var out []File
	for !r.done() {
		name, err := r.utf()
		if err != nil {
			return nil, err
		}
		ls, err := r.utf()
		if err != nil {
			return nil, fmt.Errorf("file %s: %w", name, err)
		}
		n, err := strconv.ParseInt(strings.TrimSpace(ls), 10, 64)
		if err != nil || n < 0 || n > int64(len(v)) {
			return nil, fmt.Errorf("file %s: bad length %q", name, ls)
		}
		data, err := r.bytes(int(n))
		if err != nil {
			return nil, fmt.Errorf("file %s: %w", name, err)
		}
		out = append(out, File{Name: name, Data: data})
	}
	return out, nil
}
