{#- Macros of the hubble chart. Import with
    {% import "hubble/templates/_helpers.tpl" as hubble %}
    Imported macros do not see the template context: pass what they need. -#}

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
