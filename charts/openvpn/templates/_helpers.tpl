{#- Macros of the openvpn chart. Import with
    {% import "openvpn/templates/_helpers.tpl" as openvpn %} -#}

{#- Both macros below take step = 2 ** (the host bits of octet i): plain tests, not the min
    and max filters, which cost an OpenVPN cluster's render a fifth of its time. -#}

{#- network_ip(cidr): the network address of an IPv4 CIDR, host bits cleared.
    Usage: {{ openvpn.network_ip("172.25.3.0/16") }} -> 172.25.0.0 -#}
{% macro network_ip(cidr) -%}
{%- set prefix = cidr.split("/")[1] | int -%}
{%- set octets = cidr.split("/")[0].split(".") -%}
{%- for i in range(4) -%}
{%- set bits = prefix - 8 * i -%}
{%- set step = 1 if bits >= 8 else (256 if bits <= 0 else 2 ** (8 - bits)) -%}
{{ (octets[i] | int) // step * step }}{{ "" if loop.last else "." }}
{%- endfor -%}
{%- endmacro %}

{#- netmask(cidr): the dotted netmask of an IPv4 CIDR.
    Usage: {{ openvpn.netmask("10.240.16.0/20") }} -> 255.255.240.0 -#}
{% macro netmask(cidr) -%}
{%- set prefix = cidr.split("/")[1] | int -%}
{%- for i in range(4) -%}
{%- set bits = prefix - 8 * i -%}
{%- set step = 1 if bits >= 8 else (256 if bits <= 0 else 2 ** (8 - bits)) -%}
{{ 256 - step }}{{ "" if loop.last else "." }}
{%- endfor -%}
{%- endmacro %}

{#- route(cidr): "<network> <netmask>", the form OpenVPN's route/iroute options take.
    Usage: {{ openvpn.route(cluster.network.pods_cidr) }} -> 172.25.0.0 255.255.0.0 -#}
{% macro route(cidr) -%}
{{ network_ip(cidr) }} {{ netmask(cidr) }}
{%- endmacro %}

{#- network(cidr): the CIDR with host bits cleared, as iptables expects it.
    Usage: {{ openvpn.network("172.25.3.0/16") }} -> 172.25.0.0/16 -#}
{% macro network(cidr) -%}
{{ network_ip(cidr) }}/{{ cidr.split("/")[1] | int }}
{%- endmacro %}

{#- server_host(cluster, values): the host openvpn-client dials: values.serverHost, else the
    host of the cluster's external address (NodePort and LoadBalancer strategies); "" when
    unknown. With Tunneling KKP dials the tunneling agent IP, which only values.serverHost gives.
    Usage: {% set host = openvpn.server_host(cluster, values) %} -#}
{% macro server_host(cluster, values) -%}
{% if values.serverHost %}
{{ values.serverHost }}
{%- elif cluster.expose_strategy != "Tunneling" %}
{{ cluster.address.host }}
{%- endif %}
{%- endmacro %}

{#- server_port(cluster, values): the port openvpn-client dials: 1194 with Tunneling;
    otherwise the NodePort of the seed's openvpn-server Service: values.serverPort, else the
    Cluster annotation kkpgen/openvpn-server-port (both also pin that NodePort). "" when unknown.
    Usage: {% set port = openvpn.server_port(cluster, values) %} -#}
{% macro server_port(cluster, values) -%}
{% if cluster.expose_strategy == "Tunneling" %}
1194
{%- elif values.serverPort or cluster.address.openvpn_port %}
{{ values.serverPort or cluster.address.openvpn_port }}
{%- endif %}
{%- endmacro %}
