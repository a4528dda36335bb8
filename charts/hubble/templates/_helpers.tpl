{#- Macros of the hubble chart. Import with
    {% import "hubble/templates/_helpers.tpl" as hubble %}
    Imported macros do not see the template context: pass what they need. -#}

{#- The tag of an image reference ("quay.io/cilium/hubble-ui:v0.8.3" -> "v0.8.3").
    Usage: {{ hubble.tag(images.hubble_ui) }} -#}
{% macro tag(image) -%}
{{ image.split("@", 1)[0].rsplit(":", 1)[-1] }}
{%- endmacro %}

{#- The common labels of every object, as a YAML mapping without indentation.
    Usage:
      labels:
        {{ hubble.labels(cluster, chart, "relay", images.hubble_relay) | indent(4) }} -#}
{% macro labels(cluster, chart, component, image) -%}
app.kubernetes.io/name: {{ chart.name }}
app.kubernetes.io/component: {{ component }}
app.kubernetes.io/version: {{ tag(image) | quote }}
app.kubernetes.io/managed-by: kkpgen
app.kubernetes.io/part-of: kkp-network
{%- endmacro %}

{#- The arguments of cilium-certgen (one YAML list item per line, no indentation):
    create the Hubble CA once (reused afterwards), the agents' server certificate
    (Secret hubble-server-certs) and the relay's client certificate (Secret
    hubble-relay-client-certs). The server name carries cilium-config `cluster-name`
    ("default").
    Usage:
          args:
            {{ hubble.certgen_args(values) | indent(12) }} -#}
{% macro certgen_args(values) -%}
- --cilium-namespace=kube-system
- --hubble-ca-generate
- --hubble-ca-reuse-secret
- --hubble-server-cert-generate
- --hubble-server-cert-common-name=*.default.hubble-grpc.cilium.io
- {{ ("--hubble-server-cert-validity-duration=" ~ values.certgen.certValidityDuration) | quote }}
- --hubble-relay-client-cert-generate
- {{ ("--hubble-relay-client-cert-validity-duration=" ~ values.certgen.certValidityDuration) | quote }}
{%- endmacro %}
