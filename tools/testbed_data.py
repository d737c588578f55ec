# Seed data for the sot.netbox test bed. Runs inside NetBox's own process (`netbox shell -c`),
# through NetBox's models: the sample set object by object with save() (signals and component
# templates fire as they would through the API), the large benchmark set with bulk_create, because
# REST seeding runs at about 26 devices/s here. The seeded database is dumped and cached, so this
# runs once per machine and version of this file.
import ipaddress

from core.models import ObjectType
from dcim.models import (Device, DeviceRole, DeviceType, Interface, InterfaceTemplate, Location, Manufacturer,
                         Platform, Rack, Region, Site, SiteGroup)
from extras.models import CustomField, Tag
from ipam.models import VLAN, VRF, IPAddress, Prefix, Role, VLANGroup
from tenancy.models import Contact, ContactAssignment, ContactRole, Tenant
from virtualization.models import Cluster, ClusterGroup, ClusterType, VirtualMachine, VMInterface


def get(model, lookup, **defaults):
    obj, _ = model.objects.get_or_create(**lookup, defaults=defaults)
    return obj


def slug(name):
    return name.lower().replace(" ", "-").replace(".", "-").replace("/", "-")


def named(model, name, **extra):
    return get(model, {"name": name}, slug=slug(name), **extra)


def custom_field(name, cf_type, models, **extra):
    cf = get(CustomField, {"name": name}, type=cf_type, **extra)
    cf.object_types.set([ObjectType.objects.get_for_model(m) for m in models])
    return cf


def device_type(manufacturer, model, interfaces, u_height=1):
    dt = get(DeviceType, {"manufacturer": manufacturer, "model": model}, slug=slug(model), u_height=u_height)
    for name, itype, mgmt in interfaces:
        get(InterfaceTemplate, {"device_type": dt, "name": name}, type=itype, mgmt_only=mgmt)
    return dt


def base_catalogue():
    """Object types shared by both data sets: what the modules look up by name."""
    c = {}
    c["region"] = named(Region, "Europe")
    c["site_groups"] = {n: named(SiteGroup, n) for n in ("dc-east", "dc-west", "lab")}
    c["sites"] = {
        "ams1": named(Site, "ams1", group=c["site_groups"]["dc-east"], region=c["region"], status="active"),
        "fra1": named(Site, "fra1", group=c["site_groups"]["dc-east"], region=c["region"], status="active"),
        "nyc1": named(Site, "nyc1", group=c["site_groups"]["dc-west"], status="active"),
        "lab1": named(Site, "lab1", group=c["site_groups"]["lab"], status="planned"),
    }
    c["tenants"] = {n: named(Tenant, n) for n in ("platform", "research", "Ünïcode Tenant")}
    arista, nvidia, dell = (named(Manufacturer, n) for n in ("Arista", "NVIDIA", "Dell"))
    c["device_types"] = {
        "leaf": device_type(arista, "DCS-7060X5-64", [(f"Ethernet{i}", "400gbase-x-osfp", False) for i in range(1, 65)]
                            + [("Management1", "1000base-t", True)]),
        "spine": device_type(arista, "DCS-7800R3-36", [(f"Ethernet{i}", "400gbase-x-osfp", False) for i in range(1, 37)]
                             + [("Management1", "1000base-t", True)], u_height=4),
        "gpu": device_type(nvidia, "DGX-H100", [(f"gpu{i}", "400gbase-x-osfp", False) for i in range(8)]
                           + [("fe0", "100gbase-x-qsfp28", False), ("fe1", "100gbase-x-qsfp28", False),
                              ("bmc", "1000base-t", True)], u_height=8),
        "server": device_type(dell, "PowerEdge R760", [("eno1", "25gbase-x-sfp28", False),
                                                       ("eno2", "25gbase-x-sfp28", False),
                                                       ("idrac", "1000base-t", True)], u_height=2),
    }
    c["roles"] = {n: named(DeviceRole, n, color=col, vm_role=vm) for n, col, vm in (
        ("leaf", "2196f3", False), ("spine", "3f51b5", False), ("gpu-server", "4caf50", False),
        ("server", "8bc34a", True), ("firewall", "f44336", False), ("application", "9e9e9e", True))}
    c["platforms"] = {n: named(Platform, n) for n in ("eos", "linux", "windows")}
    c["tags"] = {n: named(Tag, n) for n in ("prod", "monitored", "pci")}
    c["contact_roles"] = {n: named(ContactRole, n) for n in ("owner", "operations", "security")}
    c["contacts"] = {n: get(Contact, {"name": n}, email=f"{slug(n)}@example.net")
                     for n in ("Alice Ops", "Bob Net", "Carol Sec", "Dan Dev")}
    ctype = named(ClusterType, "vmware")
    cgroup = named(ClusterGroup, "prod")
    c["clusters"] = {
        "prod-cl1": get(Cluster, {"name": "prod-cl1"}, type=ctype, group=cgroup, scope=c["sites"]["ams1"]),
        "prod-cl2": get(Cluster, {"name": "prod-cl2"}, type=ctype, group=cgroup, scope=c["sites"]["fra1"]),
        "lab-cl1": get(Cluster, {"name": "lab-cl1"}, type=named(ClusterType, "kvm"), scope=c["sites"]["lab1"]),
    }
    custom_field("cost_center", "text", [Device, VirtualMachine], label="Cost center")
    custom_field("dhcp_enabled", "boolean", [Prefix], label="DHCP enabled", default=False)
    custom_field("cluster_name", "text", [Prefix], label="Cluster name")
    return c


def ipam_catalogue(c):
    """VRFs, prefix roles and segments for netbox_segment: free segments to reserve, pools to carve."""
    vrfs = {n: get(VRF, {"name": n}, rd=rd) for n, rd in (("prod", "65000:1"), ("dev", "65000:2"))}
    roles = {n: named(Role, n) for n in ("web", "db", "storage", "pool")}
    for vrf, octet in (("prod", 20), ("dev", 40)):
        for sg_name, base in (("dc-east", 0), ("dc-west", 100)):
            sg = c["site_groups"][sg_name]
            group = get(VLANGroup, {"name": f"{vrf}-{sg_name}", "scope_type": ObjectType.objects.get_for_model(SiteGroup),
                                    "scope_id": sg.pk}, slug=f"{vrf}-{sg_name}")
            # Free segments: active, no cluster yet; each with its VLAN.
            for i in range(1, 11):
                net = f"10.{octet}.{base + i}.0/24"
                vid = 1000 + base + i
                vlan = get(VLAN, {"group": group, "vid": vid}, name=f"seg-{vid}", status="active")
                if not Prefix.objects.filter(prefix=net, vrf=vrfs[vrf]).exists():
                    Prefix(prefix=net, vrf=vrfs[vrf], scope=sg, role=roles["web" if i <= 6 else "db"],
                           status="active", vlan=vlan, tenant=c["tenants"]["platform"],
                           description=f"free segment {net}",
                           custom_field_data={"dhcp_enabled": False, "cluster_name": None}).save()
            # A pool to carve new segments from.
            pool = f"10.{octet + 1}.{0 if base == 0 else 128}.0/20"
            if not Prefix.objects.filter(prefix=pool, vrf=vrfs[vrf]).exists():
                Prefix(prefix=pool, vrf=vrfs[vrf], scope=sg, role=roles["pool"], status="container",
                       description=f"segment pool {vrf}/{sg_name}").save()


def set_primary_ip(obj, iface, address):
    ip = IPAddress(address=address, assigned_object=iface, status="active")
    ip.save()
    obj.primary_ip4 = ip
    obj.save()


def seed_sample():
    c = base_catalogue()
    ipam_catalogue(c)
    location = get(Location, {"name": "Hall A", "site": c["sites"]["ams1"]}, slug="hall-a")
    racks = [get(Rack, {"name": f"R{n:02d}", "site": c["sites"]["ams1"]}, location=location) for n in (1, 2)]
    contacts = list(c["contacts"].values())
    croles = list(c["contact_roles"].values())
    dev_ot = ObjectType.objects.get_for_model(Device)
    vm_ot = ObjectType.objects.get_for_model(VirtualMachine)
    plan = [  # name, role, type, site, platform, tenant, rack
        *[(f"ams1-leaf{n}", "leaf", "leaf", "ams1", "eos", "platform", racks[n % 2]) for n in range(1, 5)],
        *[(f"ams1-spine{n}", "spine", "spine", "ams1", "eos", "platform", racks[0]) for n in range(1, 3)],
        *[(f"ams1-srv{n:02d}", "server", "server", "ams1", "linux", "research", racks[1]) for n in range(1, 7)],
        *[(f"fra1-srv{n:02d}", "server", "server", "fra1", "linux", "Ünïcode Tenant", None) for n in range(1, 5)],
        *[(f"nyc1-fw{n}", "firewall", "server", "nyc1", None, None, None) for n in range(1, 3)],
        ("lab1-gpu01", "gpu-server", "gpu", "lab1", "linux", "research", None),
    ]
    for i, (name, role, dtype, site, platform, tenant, rack) in enumerate(plan):
        if Device.objects.filter(name=name).exists():
            continue
        dev = Device(name=name, role=c["roles"][role], device_type=c["device_types"][dtype], site=c["sites"][site],
                     location=rack.location if rack else None, rack=rack,
                     platform=c["platforms"].get(platform), tenant=c["tenants"].get(tenant),
                     status="active" if i % 7 else "planned", serial=f"SN{i:05d}", asset_tag=f"AT-{i:04d}",
                     comments="sample device, \"quoted\", with a comma" if i % 5 == 0 else "",
                     custom_field_data={"cost_center": f"CC-{100 + i % 3}"})
        dev.save()
        dev.tags.set([c["tags"]["prod"]] + ([c["tags"]["monitored"]] if i % 2 else []))
        mgmt = dev.interfaces.filter(mgmt_only=True).first()
        if mgmt is not None:
            set_primary_ip(dev, mgmt, f"192.0.2.{10 + i}/24")
        for k in range(i % 3):
            ContactAssignment(object_type=dev_ot, object_id=dev.pk, contact=contacts[(i + k) % len(contacts)],
                              role=croles[k % len(croles)], priority="primary").save()
    vm_plan = [(f"app{n:02d}", "prod-cl1" if n <= 5 else "prod-cl2", "application") for n in range(1, 9)]
    vm_plan += [("lab-vm01", "lab-cl1", "server"), ("lab-vm02", "lab-cl1", "server")]
    for i, (name, cluster, role) in enumerate(vm_plan):
        if VirtualMachine.objects.filter(name=name).exists():
            continue
        cl = c["clusters"][cluster]
        vm = VirtualMachine(name=name, cluster=cl, site=cl.scope if isinstance(cl.scope, Site) else None,
                            role=c["roles"][role], tenant=c["tenants"]["platform"], platform=c["platforms"]["linux"],
                            status="active", vcpus=2 + i % 4, memory=4096 * (1 + i % 3), disk=50_000 + 1000 * i,
                            description=f"VM {name}", custom_field_data={"cost_center": "CC-200"})
        vm.save()
        vm.tags.set([c["tags"]["prod"]])
        iface = VMInterface(virtual_machine=vm, name="eth0")
        iface.save()
        set_primary_ip(vm, iface, f"198.51.100.{10 + i}/24")
        for k in range(1 + i % 2):
            ContactAssignment(object_type=vm_ot, object_id=vm.pk, contact=contacts[(i + 2 * k) % len(contacts)],
                              role=croles[(i + k) % len(croles)], priority="primary").save()
    print("sample seeded:", Device.objects.count(), "devices,", VirtualMachine.objects.count(), "VMs")


def seed_large(n_devices=10_000, n_vms=5_000, n_assignments=5_000):
    """The benchmark set: 10,000 devices, 5,000 VMs, 15,000 interfaces, 5,000 contact assignments."""
    c = base_catalogue()
    ipam_catalogue(c)
    sites = list(c["sites"].values())
    roles = [c["roles"][r] for r in ("leaf", "spine", "server", "firewall")]
    dtype = c["device_types"]["server"]  # 3 interface templates, but bulk_create does not instantiate them
    tenants = list(c["tenants"].values())
    platforms = list(c["platforms"].values())
    devices = [Device(name=f"dev{i:05d}", site=sites[i % len(sites)], role=roles[i % len(roles)], device_type=dtype,
                      tenant=tenants[i % len(tenants)], platform=platforms[i % len(platforms)],
                      status="active" if i % 10 else "planned", serial=f"LS{i:06d}",
                      custom_field_data={"cost_center": f"CC-{i % 50}"}) for i in range(n_devices)]
    Device.objects.bulk_create(devices, batch_size=2000)
    devices = list(Device.objects.filter(name__startswith="dev").order_by("name"))
    # 15,000 interfaces: one management interface on every device, a second on half of them.
    ifaces = [Interface(device=d, name="mgmt0", type="1000base-t", mgmt_only=True) for d in devices]
    ifaces += [Interface(device=d, name="eth0", type="25gbase-x-sfp28") for d in devices[: n_devices // 2]]
    Interface.objects.bulk_create(ifaces, batch_size=5000)
    mgmt = {i.device_id: i for i in Interface.objects.filter(name="mgmt0", device__name__startswith="dev")}
    net = ipaddress.ip_network("10.128.0.0/16")
    iface_ot = ObjectType.objects.get_for_model(Interface)
    ips = [IPAddress(address=f"{net[i + 1]}/16", status="active", assigned_object_type=iface_ot,
                     assigned_object_id=mgmt[d.pk].pk) for i, d in enumerate(devices)]
    IPAddress.objects.bulk_create(ips, batch_size=5000)
    by_iface = {ip.assigned_object_id: ip for ip in IPAddress.objects.filter(address__net_host_contained="10.128.0.0/16")}
    for d in devices:
        d.primary_ip4 = by_iface[mgmt[d.pk].pk]
    Device.objects.bulk_update(devices, ["primary_ip4"], batch_size=2000)
    clusters = list(c["clusters"].values())
    vms = [VirtualMachine(name=f"vm{i:05d}", cluster=clusters[i % len(clusters)], role=c["roles"]["application"],
                          tenant=tenants[i % len(tenants)], platform=c["platforms"]["linux"], status="active",
                          vcpus=2 + i % 8, memory=2048 * (1 + i % 4), disk=40_000)
           for i in range(n_vms)]
    VirtualMachine.objects.bulk_create(vms, batch_size=2000)
    vms = list(VirtualMachine.objects.filter(name__startswith="vm").order_by("name"))
    contacts = list(c["contacts"].values())
    croles = list(c["contact_roles"].values())
    dev_ot = ObjectType.objects.get_for_model(Device)
    vm_ot = ObjectType.objects.get_for_model(VirtualMachine)
    assignments = []
    for i in range(n_assignments):
        target, ot = (devices[(i * 3) % len(devices)], dev_ot) if i % 2 == 0 else (vms[(i * 3) % len(vms)], vm_ot)
        assignments.append(ContactAssignment(object_type=ot, object_id=target.pk, contact=contacts[i % len(contacts)],
                                             role=croles[i % len(croles)], priority="primary"))
    ContactAssignment.objects.bulk_create(assignments, batch_size=5000)
    print("large seeded:", Device.objects.count(), "devices,", VirtualMachine.objects.count(), "VMs,",
          Interface.objects.count(), "interfaces,", ContactAssignment.objects.count(), "assignments")


def seed(dataset):
    {"sample": seed_sample, "large": seed_large}[dataset]()
