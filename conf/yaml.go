package conf

import (
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// item is one key read from floe-conf.yaml with the line it is on.
type item struct {
	key, value string
	line       int
}

var yamlLine = regexp.MustCompile(`^yaml: line (\d+): (.*)$`)

// parseYAML reads floe-conf.yaml. Both layouts Flink accepts work: flat
// lines ("taskmanager.numberOfTaskSlots: 2", flink-conf.yaml) and nested
// maps flattened with dots (Flink 1.19+ config.yaml). A sequence value
// becomes a ";"-separated list. A key given twice is an error naming both
// lines.
func parseYAML(file string, data []byte) ([]item, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		msg, line := err.Error(), 0
		if m := yamlLine.FindStringSubmatch(msg); m != nil {
			line, _ = strconv.Atoi(m[1])
			msg = m[2]
		} else {
			msg = strings.TrimPrefix(msg, "yaml: ")
		}
		return nil, fmt.Errorf("%s:%d: %w: %s; fix the YAML (entries are \"key: value\")", file, line, ErrSyntax, msg)
	}
	if doc.Kind == 0 || len(doc.Content) == 0 { // empty file
		return nil, nil
	}
	root := doc.Content[0]
	if root.Kind == yaml.ScalarNode && root.Tag == "!!null" {
		return nil, nil
	}
	if root.Kind != yaml.MappingNode {
		return nil, fmt.Errorf("%s:%d: %w: expected \"key: value\" entries, found %s", file, root.Line, ErrSyntax, kindName(root))
	}
	var items []item
	seen := map[string]int{}
	var walk func(prefix string, m *yaml.Node) error
	walk = func(prefix string, m *yaml.Node) error {
		for i := 0; i+1 < len(m.Content); i += 2 {
			k, v := m.Content[i], m.Content[i+1]
			if k.Kind != yaml.ScalarNode {
				return fmt.Errorf("%s:%d: %w: a key must be plain text, found %s", file, k.Line, ErrSyntax, kindName(k))
			}
			key := k.Value
			if prefix != "" {
				key = prefix + "." + key
			}
			switch v.Kind {
			case yaml.MappingNode:
				if err := walk(key, v); err != nil {
					return err
				}
				continue
			case yaml.AliasNode:
				v = v.Alias
			}
			val, err := scalarValue(v)
			if err != nil {
				return fmt.Errorf("%s:%d: %w: %s: %v", file, v.Line, ErrSyntax, key, err)
			}
			if prev, dup := seen[key]; dup {
				return fmt.Errorf("%s:%d: %w: %s is already set on line %d; keep one of them", file, k.Line, ErrSyntax, key, prev)
			}
			seen[key] = k.Line
			items = append(items, item{key: key, value: val, line: k.Line})
		}
		return nil
	}
	if err := walk("", root); err != nil {
		return nil, err
	}
	return items, nil
}

func scalarValue(v *yaml.Node) (string, error) {
	switch v.Kind {
	case yaml.ScalarNode:
		if v.Tag == "!!null" {
			return "", nil
		}
		return v.Value, nil
	case yaml.SequenceNode:
		parts := make([]string, 0, len(v.Content))
		for _, e := range v.Content {
			if e.Kind != yaml.ScalarNode {
				return "", errors.New("list items must be plain values")
			}
			parts = append(parts, e.Value)
		}
		return strings.Join(parts, ";"), nil
	}
	return "", fmt.Errorf("unexpected %s", kindName(v))
}

func kindName(n *yaml.Node) string {
	switch n.Kind {
	case yaml.ScalarNode:
		return "a plain value"
	case yaml.SequenceNode:
		return "a list"
	case yaml.MappingNode:
		return "a map"
	}
	return "an alias or document"
}
