{{/*
The nodemesh proxy and proxy-init of a control-plane pod, rendered by the chart rather than injected
(ADR 0011): the destination pod runs them. Each takes
  (dict "root" $ "destinationAddr" "127.0.0.1:8086" "destinationName" "")
where destinationAddr/destinationName override where the proxy finds the destination service
(the destination pod's own proxy reaches it over loopback, in plaintext).
Every NODEMESH_* variable set here is one proxy/config.ts or src/log reads (test/charts checks it).
*/}}

{{- define "nodemesh.proxyEnv" -}}
{{- $v := .root.Values -}}
{{- $ns := .root.Release.Namespace -}}
{{- $td := include "nodemesh.trustDomain" .root -}}
- name: _pod_name
  valueFrom:
    fieldRef:
      fieldPath: metadata.name
- name: _pod_ns
  valueFrom:
    fieldRef:
      fieldPath: metadata.namespace
- name: _pod_nodeName
  valueFrom:
    fieldRef:
      fieldPath: spec.nodeName
- name: _pod_sa
  valueFrom:
    fieldRef:
      fieldPath: spec.serviceAccountName
- name: NODEMESH_LOG_LEVEL
  value: {{ $v.proxy.logLevel | quote }}
- name: NODEMESH_LOG_FORMAT
  value: {{ $v.proxy.logFormat | quote }}
- name: NODEMESH_PROXY_DESTINATION_SVC_ADDR
  value: {{ .destinationAddr | default (printf "nodemesh-dst-headless.%s.svc.%s.:8086" $ns $v.clusterDomain) | quote }}
- name: NODEMESH_PROXY_DESTINATION_SVC_NAME
  value: {{ if hasKey . "destinationName" }}{{ .destinationName | quote }}{{ else }}{{ include "nodemesh.identityName" (dict "root" .root "sa" "nodemesh-destination") | quote }}{{ end }}
- name: NODEMESH_PROXY_DESTINATION_PROFILE_SUFFIXES
  value: {{ printf "svc.%s." $v.clusterDomain | quote }}
- name: NODEMESH_PROXY_DESTINATION_CONTEXT
  value: '{"ns":"$(_pod_ns)","nodeName":"$(_pod_nodeName)","pod":"$(_pod_name)"}'
- name: NODEMESH_PROXY_POLICY_CLUSTER_NETWORKS
  value: {{ $v.clusterNetworks | quote }}
- name: NODEMESH_PROXY_INBOUND_DEFAULT_POLICY
  value: {{ $v.proxy.defaultInboundPolicy | quote }}
- name: NODEMESH_PROXY_INBOUND_CONNECT_TIMEOUT
  value: {{ $v.proxy.inboundConnectTimeout | quote }}
- name: NODEMESH_PROXY_OUTBOUND_CONNECT_TIMEOUT
  value: {{ $v.proxy.outboundConnectTimeout | quote }}
- name: NODEMESH_PROXY_CONTROL_LISTEN_ADDR
  value: {{ printf "0.0.0.0:%d" (int $v.proxy.ports.control) | quote }}
- name: NODEMESH_PROXY_ADMIN_LISTEN_ADDR
  value: {{ printf "0.0.0.0:%d" (int $v.proxy.ports.admin) | quote }}
- name: NODEMESH_PROXY_OUTBOUND_LISTEN_ADDRS
  value: {{ printf "127.0.0.1:%d" (int $v.proxy.ports.outbound) | quote }}
- name: NODEMESH_PROXY_INBOUND_LISTEN_ADDR
  value: {{ printf "0.0.0.0:%d" (int $v.proxy.ports.inbound) | quote }}
- name: NODEMESH_PROXY_INBOUND_PORTS_DISABLE_PROTOCOL_DETECTION
  value: {{ $v.proxy.opaquePorts | quote }}
{{- with $v.proxy.requireIdentityOnInboundPorts }}
- name: NODEMESH_PROXY_INBOUND_PORTS_REQUIRE_IDENTITY
  value: {{ . | quote }}
{{- end }}
- name: NODEMESH_PROXY_SHUTDOWN_ENDPOINT_ENABLED
  value: {{ $v.proxy.enableShutdownEndpoint | toString | quote }}
{{- with $v.proxy.shutdownGracePeriod }}
- name: NODEMESH_PROXY_SHUTDOWN_GRACE_PERIOD
  value: {{ . | quote }}
{{- end }}
- name: NODEMESH_PROXY_IDENTITY_DIR
  value: /var/run/nodemesh/identity/end-entity
- name: NODEMESH_PROXY_IDENTITY_TRUST_ANCHORS
  value: {{ include "nodemesh.anchors" .root | quote }}
- name: NODEMESH_PROXY_IDENTITY_TOKEN_FILE
  value: /var/run/secrets/tokens/nodemesh-identity-token
- name: NODEMESH_PROXY_IDENTITY_SVC_ADDR
  value: {{ printf "nodemesh-identity-headless.%s.svc.%s.:8080" $ns $v.clusterDomain | quote }}
- name: NODEMESH_PROXY_IDENTITY_LOCAL_NAME
  value: {{ printf "$(_pod_sa).$(_pod_ns).serviceaccount.identity.%s.%s" $ns $td | quote }}
- name: NODEMESH_PROXY_IDENTITY_SVC_NAME
  value: {{ include "nodemesh.identityName" (dict "root" .root "sa" "nodemesh-identity") | quote }}
{{- with $v.proxy.nodeOptions }}
- name: NODE_OPTIONS
  value: {{ . | quote }}
{{- end }}
{{- with $v.proxy.additionalEnv }}
{{ toYaml . }}
{{- end }}
{{- end -}}

{{- define "nodemesh.proxy" -}}
{{- $v := .root.Values -}}
- name: nodemesh-proxy
  image: {{ include "nodemesh.image" .root }}
  imagePullPolicy: {{ $v.image.pullPolicy }}
  args:
    - proxy
  {{- if $v.proxy.nativeSidecar }}
  restartPolicy: Always
  {{- end }}
  env:
    {{- include "nodemesh.proxyEnv" . | nindent 4 }}
  ports:
    - name: nodemesh-proxy
      containerPort: {{ $v.proxy.ports.inbound }}
    - name: nodemesh-admin
      containerPort: {{ $v.proxy.ports.admin }}
  livenessProbe:
    httpGet:
      path: /live
      port: nodemesh-admin
    initialDelaySeconds: {{ $v.proxy.livenessProbe.initialDelaySeconds }}
    timeoutSeconds: {{ $v.proxy.livenessProbe.timeoutSeconds }}
  readinessProbe:
    httpGet:
      path: /ready
      port: nodemesh-admin
    initialDelaySeconds: {{ $v.proxy.readinessProbe.initialDelaySeconds }}
    timeoutSeconds: {{ $v.proxy.readinessProbe.timeoutSeconds }}
  {{- if $v.proxy.nativeSidecar }}
  startupProbe:
    httpGet:
      path: /ready
      port: nodemesh-admin
    initialDelaySeconds: {{ $v.proxy.startupProbe.initialDelaySeconds }}
    periodSeconds: {{ $v.proxy.startupProbe.periodSeconds }}
    failureThreshold: {{ $v.proxy.startupProbe.failureThreshold }}
  {{- end }}
  {{- $postStart := and (not $v.proxy.nativeSidecar) $v.proxy.await }}
  {{- $preStop := gt (int $v.proxy.waitBeforeExitSeconds) 0 }}
  {{- if or $postStart $preStop }}
  lifecycle:
    {{- if $postStart }}
    postStart:
      exec:
        command:
          - node
          - /opt/nodemesh/bin/nodemesh.js
          - proxy-await
          - --port
          - {{ int $v.proxy.ports.admin | quote }}
          - --timeout
          - 2m
    {{- end }}
    {{- if $preStop }}
    preStop:
      exec:
        command:
          - /bin/sleep
          - {{ int $v.proxy.waitBeforeExitSeconds | quote }}
    {{- end }}
  {{- end }}
  {{- with include "nodemesh.resources" $v.proxy.resources }}{{ . | trim | nindent 2 }}{{- end }}
  securityContext:
    allowPrivilegeEscalation: false
    capabilities:
      drop:
        - ALL
    readOnlyRootFilesystem: true
    runAsNonRoot: true
    runAsUser: {{ $v.proxy.uid }}
    {{- if ge (int $v.proxy.gid) 0 }}
    runAsGroup: {{ $v.proxy.gid }}
    {{- end }}
    seccompProfile:
      type: RuntimeDefault
  terminationMessagePolicy: FallbackToLogsOnError
  volumeMounts:
    - name: nodemesh-identity-end-entity
      mountPath: /var/run/nodemesh/identity/end-entity
    - name: nodemesh-identity-token
      mountPath: /var/run/secrets/tokens
      readOnly: true
{{- end -}}

{{/* Comma-joins the non-empty strings of a list. */}}
{{- define "nodemesh.joinPorts" -}}
{{- $out := list -}}
{{- range . }}{{ if . }}{{ $out = append $out (toString .) }}{{ end }}{{ end -}}
{{- join "," $out -}}
{{- end -}}

{{- define "nodemesh.proxyInit" -}}
{{- $v := .root.Values -}}
{{- $inbound := include "nodemesh.joinPorts" (list (int $v.proxy.ports.control) (int $v.proxy.ports.admin) $v.proxyInit.ignoreInboundPorts) -}}
{{- $outbound := include "nodemesh.joinPorts" (list $v.proxyInit.ignoreOutboundPorts $v.proxyInit.kubeAPIServerPorts) -}}
- name: nodemesh-init
  image: {{ include "nodemesh.image" .root }}
  imagePullPolicy: {{ $v.image.pullPolicy }}
  args:
    - proxy-init
    - --incoming-proxy-port
    - {{ int $v.proxy.ports.inbound | quote }}
    - --outgoing-proxy-port
    - {{ int $v.proxy.ports.outbound | quote }}
    - --proxy-uid
    - {{ int $v.proxy.uid | quote }}
    {{- if ge (int $v.proxy.gid) 0 }}
    - --proxy-gid
    - {{ int $v.proxy.gid | quote }}
    {{- end }}
    - --inbound-ports-to-ignore
    - {{ $inbound | quote }}
    {{- if $outbound }}
    - --outbound-ports-to-ignore
    - {{ $outbound | quote }}
    {{- end }}
    {{- with $v.proxyInit.skipSubnets }}
    - --subnets-to-ignore
    - {{ . | quote }}
    {{- end }}
    - --iptables-mode
    - {{ $v.proxyInit.iptablesMode }}
  {{- with include "nodemesh.resources" $v.proxyInit.resources }}{{ . | trim | nindent 2 }}{{- end }}
  securityContext:
    allowPrivilegeEscalation: false
    capabilities:
      add:
        - NET_ADMIN
        - NET_RAW
    privileged: false
    readOnlyRootFilesystem: true
    runAsNonRoot: {{ ne (int $v.proxyInit.runAsUser) 0 }}
    runAsUser: {{ $v.proxyInit.runAsUser }}
    runAsGroup: {{ $v.proxyInit.runAsGroup }}
    seccompProfile:
      type: RuntimeDefault
  terminationMessagePolicy: FallbackToLogsOnError
  volumeMounts:
    - name: nodemesh-proxy-init-xtables-lock
      mountPath: /run
{{- end -}}

{{- define "nodemesh.proxyVolumes" -}}
- name: nodemesh-identity-end-entity
  emptyDir:
    medium: Memory
- name: nodemesh-identity-token
  projected:
    sources:
      - serviceAccountToken:
          audience: identity.nodemesh.io
          expirationSeconds: 86400
          path: nodemesh-identity-token
{{- if not .root.Values.cniEnabled }}
- name: nodemesh-proxy-init-xtables-lock
  emptyDir: {}
{{- end }}
{{- end -}}
