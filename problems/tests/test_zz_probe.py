import datetime as dt
from problems import services

def test_probe(world):
    p = services.problem_record(actor=world.inspector, campaign=world.campaign, site=world.site, criterion=world.checkpoint, description="x")
    p = services.problem_assign(actor=world.office, problem=p, unit=world.unit_a, deadline=dt.date(2026,5,20))
    print(p.status)
