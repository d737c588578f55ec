# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Write the inventory sources of this target into DIR from integration_config.yml (url and tokens)."""
import json
import os
import sys

import yaml

CONFIG, OUT = sys.argv[1], sys.argv[2]
with open(CONFIG, encoding="utf-8") as handle:
    cfg = yaml.safe_load(handle)
URL = cfg["netbox_url"]
ALL = ["sites", "device_roles", "tags", "region", "site_group", "location", "is_virtual", "status", "cluster",
       "cluster_type", "cluster_group", "rack_role", "platforms", "tenants", "manufacturers", "device_types", "racks"]
SINGULAR = ["site", "role", "tag", "platform", "tenant", "device_type", "manufacturer", "rack", "location", "status"]
FILTERS = "query_filters: [{role: leaf}, {role: application}]\ndevice_query_filters: [{site: ams1}]\n"
CASES = {
    "full": f"group_by: {json.dumps(ALL)}\n",
    "singular": f"plurals: false\ngroup_names_raw: true\ngroup_by: {json.dumps(SINGULAR)}\n",
    "filtered": f"group_by: [sites, device_roles]\n{FILTERS}",
}
os.makedirs(OUT, exist_ok=True)


def write(name, text):
    with open(os.path.join(OUT, name), "w", encoding="utf-8") as handle:
        handle.write(text)


for case, body in CASES.items():
    write(f"{case}.sot_netbox.yml", f"plugin: sot.netbox.inventory\nurl: {URL}\ntoken: {cfg['netbox_token']}\n{body}")
# An nb_inventory file as users name them, with only its plugin line changed: nb_inventory's defaults.
write("nb.yml", f"plugin: sot.netbox.inventory\napi_endpoint: {URL}\ntoken: {cfg['netbox_token']}\n")
write("prefixed.yaml", f"plugin: sot.netbox.inventory\nurl: {URL}\ntoken: {cfg['netbox_token']}\n"
                       "reserved_var_prefix: netbox_\ncompose: {prod_tagged: \"'prod' in tags | map(attribute='slug')\"}\n")
full = CASES["full"]
write("v2.sot_netbox.yml", f"plugin: sot.netbox.inventory\napi_endpoint: {URL}\ntoken: {cfg['netbox_token_v2']}\n{full}")
write("readonly.sot_netbox.yml", f"plugin: sot.netbox.inventory\nurl: {URL}\ntoken: {cfg['netbox_token_readonly']}\n{full}")
write("badtoken.sot_netbox.yml", f"plugin: sot.netbox.inventory\nurl: {URL}\ntoken: {'f' * 40}\n")
write("extras.sot_netbox.yml", f"plugin: sot.netbox.inventory\nurl: {URL}\ntoken: {cfg['netbox_token']}\n"
                               "interfaces: true\nservices: true\ndns_name: true\n"
                               "device_query_filters: [{site: ams1}]\nvirtual_machines: false\n"
                               "compose: {mgmt_names: \"interfaces | map(attribute='name') | list\"}\n"
                               "keyed_groups: [{key: status.value, prefix: state}, {key: tags, prefix: tagged}]\n"
                               "groups: {leafs: \"'leaf' in device_roles\"}\n")
write("cached.sot_netbox.yml", f"plugin: sot.netbox.inventory\nurl: {URL}\ntoken: {cfg['netbox_token']}\n{full}"
                               f"cache: true\ncache_plugin: ansible.builtin.jsonfile\n"
                               f"cache_connection: {os.path.join(OUT, 'cache')}\ncache_timeout: 300\n")
write("ttl.sot_netbox.yml", f"plugin: sot.netbox.inventory\nurl: {URL}\ntoken: {cfg['netbox_token']}\n{full}"
                            f"cache: true\ncache_plugin: ansible.builtin.jsonfile\ndelta_sync: false\n"
                            f"cache_connection: {os.path.join(OUT, 'cache')}\ncache_timeout: 300\ncache_prefix: ttl_\n")
write("env.sot_netbox.yml", f"plugin: sot.netbox.inventory\n{full}")
print(URL)
