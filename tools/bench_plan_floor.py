# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The floor for tools/bench_plan.py: the plan's devices, extra interfaces and cables created, then
removed, through NetBox's ORM inside `netbox shell` (no HTTP, no serializers, no auth): what NetBox
itself needs for the same objects, including component instantiation and cable path tracing.

Run by bench_plan.py as `netbox shell -c "exec(open(<this file>).read()); floor(<json path>)"`; prints
one line `FLOOR {"generate": seconds, "absent": seconds, ...}`.
"""
import json
import time


def floor(spec_path):  # noqa: C901 - one straight script, run inside NetBox's process
    from django.db import transaction
    from dcim.models import Cable, Device, DeviceRole, DeviceType, Interface, Site
    from tenancy.models import Tenant

    with open(spec_path, encoding="utf-8") as fh:
        spec = json.load(fh)
    types = {t.model: t for t in DeviceType.objects.all()}
    roles = {r.name: r for r in DeviceRole.objects.all()}
    site = Site.objects.get(name=spec["site"])
    tenant = Tenant.objects.get(name=spec["tenant"]) if spec.get("tenant") else None
    started = time.monotonic()
    with transaction.atomic():
        devices = {}
        for d in spec["devices"]:
            device = Device(name=d["name"], device_type=types[d["device_type"]], role=roles[d["role"]], site=site,
                            tenant=tenant, status=d["status"])
            device.save()  # instantiates the device type's interface templates, as the API does
            devices[d["key"]] = device
    ports = {(key, i.name): i for key, dev in devices.items() for i in dev.interfaces.all()}
    extras = 0
    with transaction.atomic():
        for i in spec["interfaces"]:  # only those the templates lack, as the module does
            if (i["device"], i["name"]) not in ports:
                extra = Interface(device=devices[i["device"]], name=i["name"], type=i["type"])
                extra.save()
                ports[(i["device"], i["name"])] = extra
                extras += 1
    cables = []
    with transaction.atomic():
        for c in spec["cables"]:
            cable = Cable(a_terminations=[ports[tuple(c["a"])]], b_terminations=[ports[tuple(c["b"])]],
                          status=c["status"])
            if c.get("type"):
                cable.type = c["type"]
            cable.save()
            cables.append(cable)
    generate = time.monotonic() - started
    started = time.monotonic()
    with transaction.atomic():
        for cable in cables:
            cable.delete()
    with transaction.atomic():
        for device in devices.values():
            device.delete()
    absent = time.monotonic() - started
    print("FLOOR " + json.dumps({"generate": round(generate, 2), "absent": round(absent, 2),
                                 "devices": len(spec["devices"]), "interfaces": len(ports), "extra_interfaces": extras,
                                 "cables": len(spec["cables"])}), flush=True)
