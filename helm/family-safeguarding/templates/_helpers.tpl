{{/* Labels every object of a service carries. Call with (dict "root" $ "svc" $svc). */}}
{{- define "fs.labels" -}}
app.kubernetes.io/name: {{ .svc.name }}
app.kubernetes.io/component: {{ .svc.process }}
app.kubernetes.io/part-of: family-safeguarding
app.kubernetes.io/version: {{ .root.Chart.AppVersion | quote }}
{{- if not .root.Values.global.kustomizeBase }}
app.kubernetes.io/instance: {{ .root.Release.Name }}
app.kubernetes.io/managed-by: {{ .root.Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .root.Chart.Name .root.Chart.Version }}
{{- end }}
{{- end -}}

{{/* The selector: stable across upgrades. */}}
{{- define "fs.selector" -}}
app.kubernetes.io/name: {{ .svc.name }}
app.kubernetes.io/part-of: family-safeguarding
{{- end -}}

{{- define "fs.image" -}}
{{- $g := .root.Values.global.image -}}
{{ printf "%s/%s:%s" $g.repository .svc.name (default .root.Chart.AppVersion $g.tag) }}
{{- end -}}

{{/* "name@host:port,..." for the subscribers that are deployed. */}}
{{- define "fs.subscribers" -}}
{{- $out := list -}}
{{- range .svc.eventSubscribers -}}
{{- $sub := index $.root.Values.services . | default dict -}}
{{- if $sub.create -}}
{{- $out = append $out (printf "%s@%s:%v" $sub.process $sub.name $sub.grpcPort) -}}
{{- end -}}
{{- end -}}
{{- join "," $out -}}
{{- end -}}

{{/* "process,..." of the producers allowed to deliver events here. */}}
{{- define "fs.producers" -}}
{{- $out := list -}}
{{- range .svc.eventProducers -}}
{{- $p := index $.root.Values.services . | default dict -}}
{{- if $p.create -}}
{{- $out = append $out $p.process -}}
{{- end -}}
{{- end -}}
{{- join "," $out -}}
{{- end -}}

{{/* Fails the render on settings a council must never deploy. */}}
{{- define "fs.validate" -}}
{{- if and .Values.tls.enabled .Values.global.insecureDevAuth -}}
{{- fail "global.insecureDevAuth cannot be combined with tls.enabled: production never sets --insecure_dev_auth" -}}
{{- end -}}
{{- if and (not .Values.tls.enabled) (not .Values.global.insecureDevAuth) (not .Values.global.kustomizeBase) -}}
{{- fail "set tls.enabled (the default) or global.insecureDevAuth (values-dev.yaml, a disposable dev cluster): the services refuse to serve with neither" -}}
{{- end -}}
{{- range $key, $svc := .Values.services -}}
{{- if not (regexMatch "^[a-z][a-z0-9-]*$" $svc.name) -}}
{{- fail (printf "services.%s.name must be a DNS label" $key) -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{/* A service's ConfigMap data (also hashed into its pods' annotation, so that a change
rolls that service's pods only). Call with (dict "root" $ "svc" $svc). */}}
{{- define "fs.configData" -}}
FS_LISTEN_ADDRESS: "0.0.0.0"
FS_GRPC_PORT: {{ .svc.grpcPort | quote }}
FS_METRICS_PORT: {{ .svc.metricsPort | quote }}
FS_HEALTH_PORT: {{ .root.Values.global.healthPort | quote }}
FS_POOL_SIZE: {{ .svc.poolSize | default .root.Values.defaults.poolSize | quote }}
FS_TRUST_DOMAIN: {{ .root.Values.global.trustDomain | quote }}
{{- with .root.Values.global.trustedFrontends }}
FS_TRUSTED_FRONTENDS: {{ join "," . | quote }}
{{- end }}
# Migrations run in the migrate init container with the owner's role; the service checks.
FS_MIGRATE_ON_START: "false"
FS_EVENT_SUBSCRIBERS: {{ include "fs.subscribers" . | quote }}
FS_EVENT_PRODUCERS: {{ include "fs.producers" . | quote }}
{{- if .root.Values.global.insecureDevAuth }}
FS_INSECURE_DEV_AUTH: "true"
{{- end }}
{{- if .root.Values.tls.enabled }}
FS_TLS_CERT: /var/run/secrets/fs/tls/tls.crt
FS_TLS_KEY: /var/run/secrets/fs/tls/tls.key
FS_TLS_CA: /var/run/secrets/fs/tls/ca.crt
{{- end }}
{{- if .svc.nameMatchSecret }}
FS_NAME_MATCH_SECRET_FILE: /var/run/secrets/fs/name-match/{{ .root.Values.nameMatch.key }}
{{- end }}
{{- range $k, $v := merge (dict) (.svc.env | default dict) .root.Values.global.env }}
{{- if ne (toString $v) "" }}
{{ $k }}: {{ $v | toString | quote }}
{{- end }}
{{- end }}
{{- end -}}
