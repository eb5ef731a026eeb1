// helm-render: renders a Helm chart the way `helm template` does, for the chart tests of a
// machine without a helm binary (ADR 0011). Our own code, built in GOPATH mode from Debian's Go
// packages (golang-go, golang-github-masterminds-sprig-dev, golang-k8s-sigs-yaml-dev,
// golang-github-xeipuuv-gojsonschema-dev):
//
//	GO111MODULE=off GOPATH=/usr/share/gocode:$tmp go build -o $tmp/helm-render ./scripts/helm-render
//
// Usage:
//
//	helm-render [--name REL] [--namespace NS] [-f values.yaml]... [--set k=v]... [--set-string k=v]...
//	            [--set-file k=path]... [--notes] [--values-only] CHART_DIR
//
// What it does, in Helm's order and with Helm's semantics:
//   - values: the chart's values.yaml, then each -f file, then --set, --set-string, --set-file, each
//     merged over the last (maps deep-merged, anything else replaced, a null removes the key);
//   - validates the merged values against the chart's values.schema.json (JSON Schema draft-07),
//     printing every violation as `- field: description` and exiting 1;
//   - parses every file under templates/ into one template set named `<chart>/templates/<path>`,
//     renders each file whose base name does not start with `_` (NOTES.txt only with --notes), with
//     missingkey=zero and `<no value>` removed from the output;
//   - prints one YAML stream: each document preceded by `---` and `# Source: <template>`, documents
//     ordered by kind the way Helm installs them, then by template path.
//
// Template functions: sprig's TxtFuncMap (minus env and expandenv, as Helm), include, tpl,
// required, fail, toYaml (trimmed), fromYaml, fromYamlArray, toJson, fromJson, fromJsonArray,
// lookup (always an empty map: there is no cluster). Objects: .Values, .Release (Name, Namespace,
// Service, IsInstall, IsUpgrade, Revision), .Chart (Name, Version, AppVersion, Description, Type,
// KubeVersion), .Capabilities (KubeVersion.{Version,Major,Minor,GitVersion}, APIVersions.Has),
// .Template (Name, BasePath), .Files (Get, GetBytes over the chart's files).
package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"text/template"

	"github.com/Masterminds/sprig"
	"github.com/xeipuuv/gojsonschema"
	"sigs.k8s.io/yaml"
)

type stringList []string

func (s *stringList) String() string     { return strings.Join(*s, ",") }
func (s *stringList) Set(v string) error { *s = append(*s, v); return nil }

type options struct {
	name, namespace string
	valueFiles      []string
	sets            []string
	setStrings      []string
	setFiles        []string
	notes           bool
	valuesOnly      bool
	chartDir        string
}

func usage() {
	fmt.Fprintln(os.Stderr, "usage: helm-render [--name REL] [--namespace NS] [-f FILE]... [--set K=V]... [--set-string K=V]... [--set-file K=PATH]... [--notes] [--values-only] CHART_DIR")
}

func parseArgs(args []string) (options, error) {
	o := options{name: "release-name", namespace: "default"}
	for i := 0; i < len(args); i++ {
		a := args[i]
		key, val, hasEq := strings.Cut(a, "=")
		next := func() (string, error) {
			if hasEq {
				return val, nil
			}
			if i+1 >= len(args) {
				return "", fmt.Errorf("flag %s needs a value", a)
			}
			i++
			return args[i], nil
		}
		var err error
		var v string
		switch key {
		case "--name":
			v, err = next()
			o.name = v
		case "-n", "--namespace":
			v, err = next()
			o.namespace = v
		case "-f", "--values":
			v, err = next()
			o.valueFiles = append(o.valueFiles, v)
		case "--set":
			v, err = next()
			o.sets = append(o.sets, v)
		case "--set-string":
			v, err = next()
			o.setStrings = append(o.setStrings, v)
		case "--set-file":
			v, err = next()
			o.setFiles = append(o.setFiles, v)
		case "--notes":
			o.notes = true
		case "--values-only":
			o.valuesOnly = true
		case "-h", "--help":
			usage()
			os.Exit(0)
		default:
			if strings.HasPrefix(a, "-") {
				return o, fmt.Errorf("unknown flag %s", a)
			}
			if o.chartDir != "" {
				return o, fmt.Errorf("one chart directory expected, got %s and %s", o.chartDir, a)
			}
			o.chartDir = a
		}
		if err != nil {
			return o, err
		}
	}
	if o.chartDir == "" {
		return o, errors.New("a chart directory is required")
	}
	return o, nil
}

// ---- values -------------------------------------------------------------------------------

func readYAMLMap(path string) (map[string]interface{}, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	out := map[string]interface{}{}
	if err := yaml.Unmarshal(data, &out); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if out == nil {
		out = map[string]interface{}{}
	}
	return out, nil
}

// mergeInto merges src over dst the Helm way: maps deep-merged, anything else replaced. A null in
// src removes the key when coalescing over the chart's defaults (keepNulls false); between user
// values files the null is kept, so that it still removes the default afterwards.
func mergeInto(dst, src map[string]interface{}, keepNulls bool) {
	for k, v := range src {
		if v == nil && !keepNulls {
			delete(dst, k)
			continue
		}
		sm, sIsMap := v.(map[string]interface{})
		dm, dIsMap := dst[k].(map[string]interface{})
		if sIsMap && dIsMap {
			mergeInto(dm, sm, keepNulls)
			continue
		}
		if sIsMap && !keepNulls {
			// A new map from the user: copy it without its nulls.
			fresh := map[string]interface{}{}
			mergeInto(fresh, sm, false)
			dst[k] = fresh
			continue
		}
		dst[k] = v
	}
}

// splitKey splits `a.b\.c.d` into [a, b.c, d].
func splitKey(key string) []string {
	var parts []string
	var cur strings.Builder
	for i := 0; i < len(key); i++ {
		c := key[i]
		if c == '\\' && i+1 < len(key) {
			cur.WriteByte(key[i+1])
			i++
			continue
		}
		if c == '.' {
			parts = append(parts, cur.String())
			cur.Reset()
			continue
		}
		cur.WriteByte(c)
	}
	return append(parts, cur.String())
}

func setPath(values map[string]interface{}, key string, value interface{}) error {
	parts := splitKey(key)
	m := values
	for i, p := range parts {
		if p == "" {
			return fmt.Errorf("bad key %q", key)
		}
		if i == len(parts)-1 {
			m[p] = value
			return nil
		}
		next, ok := m[p].(map[string]interface{})
		if !ok {
			next = map[string]interface{}{}
			m[p] = next
		}
		m = next
	}
	return nil
}

// typedScalar reads a --set value the way Helm does: null, booleans and integers are typed,
// everything else is a string.
func typedScalar(s string) interface{} {
	switch s {
	case "null":
		return nil
	case "true":
		return true
	case "false":
		return false
	}
	if n, err := strconv.ParseInt(s, 10, 64); err == nil && (s == "0" || !strings.HasPrefix(s, "0")) {
		return n
	}
	return s
}

func buildValues(o options, chartValues map[string]interface{}) (map[string]interface{}, error) {
	user := map[string]interface{}{}
	for _, f := range o.valueFiles {
		m, err := readYAMLMap(f)
		if err != nil {
			return nil, err
		}
		mergeInto(user, m, true)
	}
	apply := func(list []string, flag string, read func(k, v string) (interface{}, error)) error {
		for _, kv := range list {
			k, v, ok := strings.Cut(kv, "=")
			if !ok {
				return fmt.Errorf("%s %q: expected key=value", flag, kv)
			}
			val, err := read(k, v)
			if err != nil {
				return err
			}
			over := map[string]interface{}{}
			if err := setPath(over, k, val); err != nil {
				return err
			}
			mergeInto(user, over, true)
		}
		return nil
	}
	if err := apply(o.sets, "--set", func(_, v string) (interface{}, error) { return typedScalar(v), nil }); err != nil {
		return nil, err
	}
	if err := apply(o.setStrings, "--set-string", func(_, v string) (interface{}, error) { return v, nil }); err != nil {
		return nil, err
	}
	if err := apply(o.setFiles, "--set-file", func(k, p string) (interface{}, error) {
		data, err := os.ReadFile(p)
		if err != nil {
			return nil, fmt.Errorf("--set-file %s: %w", k, err)
		}
		return string(data), nil
	}); err != nil {
		return nil, err
	}
	merged := chartValues
	mergeInto(merged, user, false)
	return merged, nil
}

func validateValues(chartName, schemaPath string, values map[string]interface{}) error {
	schemaBytes, err := os.ReadFile(schemaPath)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	// Round-trip through JSON so the document has only JSON types.
	raw, err := json.Marshal(values)
	if err != nil {
		return err
	}
	result, err := gojsonschema.Validate(gojsonschema.NewBytesLoader(schemaBytes), gojsonschema.NewBytesLoader(raw))
	if err != nil {
		return fmt.Errorf("%s: %w", schemaPath, err)
	}
	if result.Valid() {
		return nil
	}
	var b strings.Builder
	fmt.Fprintf(&b, "values don't meet the specifications of the schema(s) in the following chart(s):\n%s:\n", chartName)
	for _, e := range result.Errors() {
		fmt.Fprintf(&b, "- %s\n", e.String())
	}
	return errors.New(strings.TrimSuffix(b.String(), "\n"))
}

// ---- objects templates see ----------------------------------------------------------------

type apiVersions []string

// Has reports whether the cluster serves an apiVersion (`policy/v1`) or a kind
// (`policy/v1/PodDisruptionBudget`).
func (a apiVersions) Has(v string) bool {
	for _, x := range a {
		if x == v || strings.HasPrefix(v, x+"/") {
			return true
		}
	}
	return false
}

type files map[string][]byte

func (f files) Get(name string) string      { return string(f[name]) }
func (f files) GetBytes(name string) []byte { return f[name] }

func chartObject(meta map[string]interface{}) map[string]interface{} {
	str := func(k string) string {
		if s, ok := meta[k].(string); ok {
			return s
		}
		return ""
	}
	return map[string]interface{}{
		"Name":        str("name"),
		"Version":     str("version"),
		"AppVersion":  str("appVersion"),
		"Description": str("description"),
		"Type":        str("type"),
		"KubeVersion": str("kubeVersion"),
		"Home":        str("home"),
		"APIVersion":  str("apiVersion"),
	}
}

// ---- rendering ----------------------------------------------------------------------------

const recursionLimit = 1000

type renderer struct {
	tmpl  *template.Template
	depth map[string]int
}

func toYAML(v interface{}) string {
	data, err := yaml.Marshal(v)
	if err != nil {
		return ""
	}
	return strings.TrimSuffix(string(data), "\n")
}

func fromYAML(s string) map[string]interface{} {
	m := map[string]interface{}{}
	if err := yaml.Unmarshal([]byte(s), &m); err != nil {
		m["Error"] = err.Error()
	}
	return m
}

func fromYAMLArray(s string) []interface{} {
	var a []interface{}
	if err := yaml.Unmarshal([]byte(s), &a); err != nil {
		a = []interface{}{err.Error()}
	}
	return a
}

func toJSON(v interface{}) string {
	data, err := json.Marshal(v)
	if err != nil {
		return ""
	}
	return string(data)
}

func fromJSON(s string) map[string]interface{} {
	m := map[string]interface{}{}
	if err := json.Unmarshal([]byte(s), &m); err != nil {
		m["Error"] = err.Error()
	}
	return m
}

func fromJSONArray(s string) []interface{} {
	var a []interface{}
	if err := json.Unmarshal([]byte(s), &a); err != nil {
		a = []interface{}{err.Error()}
	}
	return a
}

func (r *renderer) funcs() template.FuncMap {
	f := sprig.TxtFuncMap()
	delete(f, "env")
	delete(f, "expandenv")
	f["toYaml"] = toYAML
	f["fromYaml"] = fromYAML
	f["fromYamlArray"] = fromYAMLArray
	f["toJson"] = toJSON
	f["fromJson"] = fromJSON
	f["fromJsonArray"] = fromJSONArray
	f["required"] = func(msg string, v interface{}) (interface{}, error) {
		if v == nil {
			return nil, errors.New(msg)
		}
		if s, ok := v.(string); ok && s == "" {
			return nil, errors.New(msg)
		}
		return v, nil
	}
	f["fail"] = func(msg string) (string, error) { return "", errors.New(msg) }
	f["lookup"] = func(string, string, string, string) (map[string]interface{}, error) {
		return map[string]interface{}{}, nil
	}
	f["include"] = func(name string, data interface{}) (string, error) {
		r.depth[name]++
		defer func() { r.depth[name]-- }()
		if r.depth[name] > recursionLimit {
			return "", fmt.Errorf("include %q: recursion limit reached", name)
		}
		var buf bytes.Buffer
		if err := r.tmpl.ExecuteTemplate(&buf, name, data); err != nil {
			return "", err
		}
		return buf.String(), nil
	}
	f["tpl"] = func(text string, data interface{}) (string, error) {
		clone, err := r.tmpl.Clone()
		if err != nil {
			return "", err
		}
		t, err := clone.New("tpl").Parse(text)
		if err != nil {
			return "", fmt.Errorf("tpl: %w", err)
		}
		var buf bytes.Buffer
		if err := t.Execute(&buf, data); err != nil {
			return "", fmt.Errorf("tpl: %w", err)
		}
		return strings.ReplaceAll(buf.String(), "<no value>", ""), nil
	}
	return f
}

// Helm's install order of kinds; unknown kinds go last.
var kindOrder = []string{
	"PriorityClass", "Namespace", "NetworkPolicy", "ResourceQuota", "LimitRange", "PodSecurityPolicy",
	"PodDisruptionBudget", "ServiceAccount", "Secret", "SecretList", "ConfigMap", "StorageClass",
	"PersistentVolume", "PersistentVolumeClaim", "CustomResourceDefinition", "ClusterRole",
	"ClusterRoleList", "ClusterRoleBinding", "ClusterRoleBindingList", "Role", "RoleList", "RoleBinding",
	"RoleBindingList", "Service", "DaemonSet", "Pod", "ReplicationController", "ReplicaSet", "Deployment",
	"HorizontalPodAutoscaler", "StatefulSet", "Job", "CronJob", "IngressClass", "Ingress", "APIService",
	"MutatingWebhookConfiguration", "ValidatingWebhookConfiguration",
}

func kindRank(kind string) int {
	for i, k := range kindOrder {
		if k == kind {
			return i
		}
	}
	return len(kindOrder)
}

type manifest struct {
	source string
	kind   string
	body   string
	seq    int
}

// splitDocuments splits a rendered file on `---` lines and drops empty documents.
func splitDocuments(text string) []string {
	var docs []string
	var cur []string
	flush := func() {
		d := strings.TrimSpace(strings.Join(cur, "\n"))
		if d != "" {
			docs = append(docs, d)
		}
		cur = nil
	}
	for _, line := range strings.Split(text, "\n") {
		if strings.HasPrefix(line, "---") && strings.TrimSpace(strings.TrimLeft(line, "-")) == "" {
			flush()
			continue
		}
		cur = append(cur, line)
	}
	flush()
	return docs
}

func kindOf(doc string) (string, error) {
	var head struct {
		Kind string `json:"kind"`
	}
	if err := yaml.Unmarshal([]byte(doc), &head); err != nil {
		return "", err
	}
	return head.Kind, nil
}

func run(o options) error {
	chartDir := filepath.Clean(o.chartDir)
	meta, err := readYAMLMap(filepath.Join(chartDir, "Chart.yaml"))
	if err != nil {
		return fmt.Errorf("reading the chart: %w", err)
	}
	chartName, _ := meta["name"].(string)
	if chartName == "" {
		return fmt.Errorf("%s/Chart.yaml has no name", chartDir)
	}
	chartValues, err := readYAMLMap(filepath.Join(chartDir, "values.yaml"))
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	if chartValues == nil {
		chartValues = map[string]interface{}{}
	}
	values, err := buildValues(o, chartValues)
	if err != nil {
		return err
	}
	if err := validateValues(chartName, filepath.Join(chartDir, "values.schema.json"), values); err != nil {
		return err
	}
	if o.valuesOnly {
		fmt.Println(toYAML(values))
		return nil
	}

	chartFiles := files{}
	var templatePaths []string
	err = filepath.WalkDir(chartDir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(chartDir, p)
		rel = filepath.ToSlash(rel)
		if strings.HasPrefix(rel, "templates/") {
			templatePaths = append(templatePaths, rel)
			return nil
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		chartFiles[rel] = data
		return nil
	})
	if err != nil {
		return err
	}
	sort.Strings(templatePaths)

	r := &renderer{depth: map[string]int{}}
	r.tmpl = template.New(chartName).Option("missingkey=zero").Funcs(r.funcs())
	for _, rel := range templatePaths {
		data, err := os.ReadFile(filepath.Join(chartDir, filepath.FromSlash(rel)))
		if err != nil {
			return err
		}
		if _, err := r.tmpl.New(chartName + "/" + rel).Parse(string(data)); err != nil {
			return fmt.Errorf("parse error: %w", err)
		}
	}

	top := map[string]interface{}{
		"Values": values,
		"Release": map[string]interface{}{
			"Name": o.name, "Namespace": o.namespace, "Service": "Helm",
			"IsInstall": true, "IsUpgrade": false, "Revision": 1,
		},
		"Chart": chartObject(meta),
		"Capabilities": map[string]interface{}{
			"KubeVersion": map[string]interface{}{
				"Version": "v1.31.0", "Major": "1", "Minor": "31", "GitVersion": "v1.31.0",
			},
			"APIVersions": apiVersions{
				"v1", "apps/v1", "batch/v1", "policy/v1", "rbac.authorization.k8s.io/v1",
				"admissionregistration.k8s.io/v1", "apiextensions.k8s.io/v1", "coordination.k8s.io/v1",
				"discovery.k8s.io/v1", "networking.k8s.io/v1",
			},
			"HelmVersion": map[string]interface{}{"Version": "v3.16.0"},
		},
		"Files": chartFiles,
	}

	var manifests []manifest
	var notes string
	for i, rel := range templatePaths {
		base := filepath.Base(rel)
		isNotes := base == "NOTES.txt"
		if strings.HasPrefix(base, "_") || (isNotes && !o.notes) {
			continue
		}
		name := chartName + "/" + rel
		scope := map[string]interface{}{}
		for k, v := range top {
			scope[k] = v
		}
		scope["Template"] = map[string]interface{}{"Name": name, "BasePath": chartName + "/templates"}
		var buf bytes.Buffer
		if err := r.tmpl.ExecuteTemplate(&buf, name, scope); err != nil {
			return explain(err)
		}
		text := strings.ReplaceAll(buf.String(), "<no value>", "")
		if isNotes {
			notes = text
			continue
		}
		for _, doc := range splitDocuments(text) {
			kind, err := kindOf(doc)
			if err != nil {
				return fmt.Errorf("%s: the rendered YAML does not parse: %w\n%s", name, err, doc)
			}
			manifests = append(manifests, manifest{source: name, kind: kind, body: doc, seq: i})
		}
	}
	sort.SliceStable(manifests, func(a, b int) bool {
		ra, rb := kindRank(manifests[a].kind), kindRank(manifests[b].kind)
		if ra != rb {
			return ra < rb
		}
		return manifests[a].seq < manifests[b].seq
	})
	var out strings.Builder
	for _, m := range manifests {
		fmt.Fprintf(&out, "---\n# Source: %s\n%s\n", m.source, m.body)
	}
	if o.notes && notes != "" {
		fmt.Fprintf(&out, "\nNOTES:\n%s\n", strings.TrimSpace(notes))
	}
	_, err = os.Stdout.WriteString(out.String())
	return err
}

// explain turns a template execution error into Helm's `execution error at (<template>:<line>:<col>): <message>`,
// naming the innermost template and the message of the innermost failing call (required, fail).
func explain(err error) error {
	msg := err.Error()
	i := strings.LastIndex(msg, "error calling ")
	if i < 0 {
		return err
	}
	rest := msg[i+len("error calling "):]
	j := strings.Index(rest, ": ")
	if j < 0 {
		return err
	}
	where := ""
	if k := strings.LastIndex(msg[:i], "template: "); k >= 0 {
		where = msg[k+len("template: "):]
		if e := strings.Index(where, ": executing"); e >= 0 {
			where = where[:e]
		}
	}
	return fmt.Errorf("execution error at (%s): %s", where, rest[j+2:])
}

func main() {
	o, err := parseArgs(os.Args[1:])
	if err != nil {
		fmt.Fprintln(os.Stderr, "Error:", err)
		usage()
		os.Exit(2)
	}
	if err := run(o); err != nil {
		fmt.Fprintln(os.Stderr, "Error:", err)
		os.Exit(1)
	}
}
