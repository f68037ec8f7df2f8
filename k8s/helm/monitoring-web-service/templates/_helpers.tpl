{{- define "mws.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "mws.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{- define "mws.selectorLabels" -}}
app.kubernetes.io/name: {{ include "mws.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{- define "mws.labels" -}}
{{ include "mws.selectorLabels" . }}
app.kubernetes.io/version: {{ .Values.image.tag | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ .Chart.Name }}-{{ .Chart.Version }}
{{- end -}}

{{/* Blue and green share one database: without a claim or a host folder there is none to share. */}}
{{- define "mws.dataVolume" -}}
- name: data
{{- if .Values.persistence.existingClaim }}
  persistentVolumeClaim:
    claimName: {{ .Values.persistence.existingClaim }}
{{- else if .Values.persistence.hostPath }}
  hostPath:
    path: {{ .Values.persistence.hostPath }}
    type: DirectoryOrCreate
{{- else }}
{{- fail "persistence.existingClaim or persistence.hostPath is required: the blue and green releases share one database" }}
{{- end }}
- name: tmp
  emptyDir: {}
{{- end -}}

{{/* The spec's Appendix C, for the pod and for each container. */}}
{{- define "mws.podSecurity" -}}
runAsNonRoot: true
runAsUser: 1000
runAsGroup: 1000
fsGroup: 1000
seccompProfile:
  type: RuntimeDefault
{{- end -}}
{{- define "mws.containerSecurity" -}}
readOnlyRootFilesystem: true
allowPrivilegeEscalation: false
privileged: false
capabilities:
  drop: [ALL]
{{- end -}}

{{- define "mws.env" -}}
{{- range $name, $value := .Values.env }}
- name: {{ $name }}
  value: {{ $value | quote }}
{{- end }}
- name: API_TOKEN
  valueFrom:
    secretKeyRef:
      name: {{ .Values.secrets.apiToken.name }}
      key: {{ .Values.secrets.apiToken.key }}
{{- end -}}
