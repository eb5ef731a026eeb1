{{- define "nodemesh-cni.labels" -}}
app.kubernetes.io/part-of: nodemesh
app.kubernetes.io/version: {{ .Values.image.version | default .Chart.AppVersion | quote }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version }}
nodemesh.io/cni-resource: "true"
{{- end -}}

{{- define "nodemesh-cni.resources" -}}
{{- $requests := dict -}}
{{- $limits := dict -}}
{{- range $name, $r := . -}}
{{- if $r.request }}{{ $_ := set $requests $name (toString $r.request) }}{{ end -}}
{{- if $r.limit }}{{ $_ := set $limits $name (toString $r.limit) }}{{ end -}}
{{- end -}}
{{- $out := dict -}}
{{- if $requests }}{{ $_ := set $out "requests" $requests }}{{ end -}}
{{- if $limits }}{{ $_ := set $out "limits" $limits }}{{ end -}}
{{- if $out -}}
resources:
{{ toYaml $out | indent 2 }}
{{- end -}}
{{- end -}}
