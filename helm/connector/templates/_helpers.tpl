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
