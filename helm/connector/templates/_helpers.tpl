{{/*
The chart name, or nameOverride.
*/}}
{{- define "connector.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
The full name of the release's resources: fullnameOverride, or RELEASE-NAME
(just RELEASE when it already contains the name), at most 63 characters.
*/}}
{{- define "connector.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{/*
The chart label: name-version.
*/}}
{{- define "connector.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
Labels of every resource.
*/}}
{{- define "connector.labels" -}}
helm.sh/chart: {{ include "connector.chart" . }}
{{ include "connector.selectorLabels" . }}
app.kubernetes.io/version: {{ .Values.image.tag | default .Chart.AppVersion | trunc 63 | trimSuffix "-" | quote }}
app.kubernetes.io/component: connector
app.kubernetes.io/part-of: vnstream
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end }}

{{/*
Labels that select the release's pods.
*/}}
{{- define "connector.selectorLabels" -}}
app.kubernetes.io/name: {{ include "connector.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{/*
The ServiceAccount the pod runs as.
*/}}
{{- define "connector.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "connector.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{/*
The Secret whose keys become the container's environment: existingSecret,
else the chart's Secret when secret.create, else none (empty).
*/}}
{{- define "connector.secretName" -}}
{{- if .Values.existingSecret }}
{{- .Values.existingSecret }}
{{- else if .Values.secret.create }}
{{- include "connector.fullname" . }}
{{- end }}
{{- end }}

{{/*
The HTTP port, from config.http.listen (":PORT", as values.schema.json
requires; the connector's default is ":8080").
*/}}
{{- define "connector.httpPort" -}}
{{- $listen := ":8080" }}
{{- with .Values.config.http }}
{{- $listen = .listen | default ":8080" }}
{{- end }}
{{- trimPrefix ":" $listen | int }}
{{- end }}

{{/*
PromQL label matchers selecting the release's series.
*/}}
{{- define "connector.alertSelector" -}}
{{- .Values.prometheusRule.selector | default (printf "namespace=%q,job=%q" .Release.Namespace (include "connector.fullname" .)) }}
{{- end }}

{{/*
The Deployment's strategy: updateStrategy, without rollingUpdate unless the
type is RollingUpdate (the API server refuses it with Recreate).
*/}}
{{- define "connector.updateStrategy" -}}
{{- $s := .Values.updateStrategy -}}
type: {{ $s.type }}
{{- if eq $s.type "RollingUpdate" }}
{{- with $s.rollingUpdate }}
{{- $zero := list "0" "0%" }}
{{- if and (hasKey . "maxSurge") (has (toString .maxSurge) $zero) (hasKey . "maxUnavailable") (has (toString .maxUnavailable) $zero) }}
{{- fail "updateStrategy.rollingUpdate: maxSurge and maxUnavailable cannot both be 0 (the rolling update could never proceed)" }}
{{- end }}
rollingUpdate:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- end }}
{{- end }}

{{/*
The connector's configuration, config as the values give it, except that an
nxlink.tenant_id given as a quoted decimal string is written as a YAML
integer, digit for digit. Helm reads an unquoted number as a float64, exact
only up to 2^53 - 1; a larger tenant id is quoted in the values
(values.schema.json allows up to 19 digits) and unquoted here, since the
connector wants an integer (int64).
*/}}
{{- define "connector.config" -}}
{{- $config := deepCopy .Values.config }}
{{- range $i, $source := $config.sources }}
{{- if and (kindIs "map" $source) (kindIs "map" $source.nxlink) (kindIs "string" $source.nxlink.tenant_id) }}
{{- $id := $source.nxlink.tenant_id }}
{{- if or (not (regexMatch "^[1-9][0-9]{0,18}$" $id)) (ne (int64 $id | toString) $id) }}
{{- fail (printf "config.sources[%d].nxlink.tenant_id %q: want an integer from 1 to 9223372036854775807" $i $id) }}
{{- end }}
{{- $_ := set $source.nxlink "tenant_id" (int64 $id) }}
{{- end }}
{{- end }}
{{- toYaml $config }}
{{- end }}

{{/*
GOMEMLIMIT in bytes (a plain integer is bytes to the Go runtime):
goMemLimit.ratio of resources.limits.memory, a Kubernetes quantity (512Mi,
1G, 1.5Gi, 5e8, 536870912). Empty when goMemLimit.enabled is false, without a
memory limit in the values, or when extraEnv sets GOMEMLIMIT itself.
*/}}
{{- define "connector.goMemLimit" -}}
{{- $limit := dig "limits" "memory" "" .Values.resources }}
{{- $own := false }}
{{- range .Values.extraEnv }}{{ if eq .name "GOMEMLIMIT" }}{{ $own = true }}{{ end }}{{ end }}
{{- if and .Values.goMemLimit.enabled $limit (not $own) }}
{{- if not (kindIs "string" $limit) }}{{ $limit = int64 $limit | toString }}{{ end }}
{{- $number := regexFind "^[0-9]*\\.?[0-9]*" $limit }}
{{- $suffix := trimPrefix $number $limit }}
{{- $factors := dict "" 1 "k" 1000 "M" 1000000 "G" 1000000000 "T" 1000000000000 "P" 1000000000000000 "E" 1000000000000000000 "Ki" 1024 "Mi" 1048576 "Gi" 1073741824 "Ti" 1099511627776 "Pi" 1125899906842624 "Ei" 1152921504606846976 }}
{{- $bytes := float64 $number }}
{{- if hasKey $factors $suffix }}
{{- $bytes = mulf $bytes (get $factors $suffix) }}
{{- else if regexMatch "^[eE]\\+?[0-9]+$" $suffix }}
{{- range until (int (regexFind "[0-9]+$" $suffix)) }}{{ $bytes = mulf $bytes 10 }}{{ end }}
{{- else }}
{{- fail (printf "resources.limits.memory %q: GOMEMLIMIT needs a quantity in bytes (e.g. 512Mi, 1G); set goMemLimit.enabled=false or GOMEMLIMIT in extraEnv" $limit) }}
{{- end }}
{{- mulf $bytes .Values.goMemLimit.ratio | floor | int64 }}
{{- end }}
{{- end }}

{{/*
Labels of the helm test pod: the release's, without app.kubernetes.io/name,
so that neither the Service, the Deployment nor the PodDisruptionBudget
selects it.
*/}}
{{- define "connector.testLabels" -}}
helm.sh/chart: {{ include "connector.chart" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/component: helm-test
app.kubernetes.io/part-of: vnstream
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end }}
