{{/* Names and small pieces shared by the control-plane templates. */}}

{{- define "nodemesh.trustDomain" -}}
{{- .Values.identityTrustDomain | default .Values.clusterDomain -}}
{{- end -}}

{{- define "nodemesh.image" -}}
{{- printf "%s:%s" .Values.image.name (.Values.image.version | default .Chart.AppVersion) -}}
{{- end -}}

{{/* The identity name of a control-plane service account: (dict "root" $ "sa" "nodemesh-identity"). */}}
{{- define "nodemesh.identityName" -}}
{{- printf "%s.%s.serviceaccount.identity.%s.%s" .sa .root.Release.Namespace .root.Release.Namespace (include "nodemesh.trustDomain" .root) -}}
{{- end -}}

{{- define "nodemesh.anchors" -}}
{{- required "identityTrustAnchorsPEM is required: the PEM trust anchor certificate(s) every proxy trusts. Create them with `nodemesh identity init --dir certs` and pass `--set-file identityTrustAnchorsPEM=certs/ca-bundle.crt`." .Values.identityTrustAnchorsPEM -}}
{{- end -}}

{{/* Labels every object of the chart carries. */}}
{{- define "nodemesh.labels" -}}
nodemesh.io/control-plane-ns: {{ .Release.Namespace }}
app.kubernetes.io/part-of: nodemesh
app.kubernetes.io/version: {{ .Values.image.version | default .Chart.AppVersion | quote }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version }}
{{- end -}}

{{/* A component's labels: (dict "root" $ "component" "identity"). */}}
{{- define "nodemesh.componentLabels" -}}
{{ include "nodemesh.labels" .root }}
nodemesh.io/control-plane-component: {{ .component }}
{{- end -}}

{{/* A component's selector labels. */}}
{{- define "nodemesh.selectorLabels" -}}
nodemesh.io/control-plane-component: {{ .component }}
nodemesh.io/control-plane-ns: {{ .root.Release.Namespace }}
{{- end -}}

{{/* Resource requirements from {cpu: {request, limit}, memory: …}; empty entries are left out. */}}
{{- define "nodemesh.resources" -}}
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

{{/* The security context of a controller container. */}}
{{- define "nodemesh.controllerSecurityContext" -}}
securityContext:
  allowPrivilegeEscalation: false
  capabilities:
    drop:
      - ALL
  readOnlyRootFilesystem: true
  runAsNonRoot: true
  runAsUser: {{ .Values.controllerUID }}
  {{- if ge (int .Values.controllerGID) 0 }}
  runAsGroup: {{ .Values.controllerGID }}
  {{- end }}
  seccompProfile:
    type: RuntimeDefault
{{- end -}}

{{/* Scheduling: node selector, tolerations, priority class, anti-affinity (dict "root" $ "component" "identity"). */}}
{{- define "nodemesh.scheduling" -}}
{{- with .root.Values.nodeSelector }}
nodeSelector:
{{ toYaml . | indent 2 }}
{{- end }}
{{- with .root.Values.tolerations }}
tolerations:
{{ toYaml . | indent 2 }}
{{- end }}
{{- with .root.Values.priorityClassName }}
priorityClassName: {{ . }}
{{- end }}
{{- with .root.Values.imagePullSecrets }}
imagePullSecrets:
{{ toYaml . | indent 2 }}
{{- end }}
{{- if .root.Values.enablePodAntiAffinity }}
affinity:
  podAntiAffinity:
    requiredDuringSchedulingIgnoredDuringExecution:
      - labelSelector:
          matchLabels:
            {{- include "nodemesh.selectorLabels" . | nindent 12 }}
        topologyKey: kubernetes.io/hostname
    preferredDuringSchedulingIgnoredDuringExecution:
      - weight: 100
        podAffinityTerm:
          labelSelector:
            matchLabels:
              {{- include "nodemesh.selectorLabels" . | nindent 14 }}
          topologyKey: topology.kubernetes.io/zone
{{- end }}
{{- end -}}

{{/* A controller's pod metadata (dict "root" $ "component" "identity" "extraLabels" (dict) "extraAnnotations" (dict)). */}}
{{- define "nodemesh.podMetadata" -}}
metadata:
  labels:
    {{- include "nodemesh.componentLabels" . | nindent 4 }}
    {{- with .extraLabels }}
    {{- toYaml . | nindent 4 }}
    {{- end }}
    {{- with .root.Values.podLabels }}
    {{- toYaml . | nindent 4 }}
    {{- end }}
  annotations:
    nodemesh.io/created-by: {{ printf "nodemesh/helm %s" (.root.Values.image.version | default .root.Chart.AppVersion) | quote }}
    {{- with .extraAnnotations }}
    {{- toYaml . | nindent 4 }}
    {{- end }}
    {{- with .root.Values.podAnnotations }}
    {{- toYaml . | nindent 4 }}
    {{- end }}
{{- end -}}

{{/* A PodDisruptionBudget for a component when enabled (dict "root" $ "component" "identity" "name" "nodemesh-identity"). */}}
{{- define "nodemesh.pdb" -}}
{{- if .root.Values.enablePodDisruptionBudget }}
---
apiVersion: policy/v1
kind: PodDisruptionBudget
metadata:
  name: {{ .name }}
  namespace: {{ .root.Release.Namespace }}
  labels:
    {{- include "nodemesh.componentLabels" . | nindent 4 }}
spec:
  maxUnavailable: 1
  selector:
    matchLabels:
      {{- include "nodemesh.selectorLabels" . | nindent 6 }}
{{- end }}
{{- end -}}

{{- /* The values the proxy injector injects with (ConfigMap nodemesh-config, ADR 0011), as YAML. */ -}}
{{- define "nodemesh.injectorConfig" -}}
{{- $config := pick .Values "clusterDomain" "clusterNetworks" "identityTrustDomain" "identityTrustAnchorsPEM" "cniEnabled" "image" "proxy" "proxyInit" -}}
{{- $config = set (deepCopy $config) "controlPlaneNamespace" .Release.Namespace -}}
{{- toYaml $config -}}
{{- end -}}
