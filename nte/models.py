"""Imports every model module so that ``Base.metadata`` is complete (Alembic, tests).
Each domain adds its line here."""

from nte.audit import models as audit_models  # noqa: F401
from nte.auth import models as auth_models  # noqa: F401
from nte.db import Base
from nte.maps import cache_models as maps_cache_models  # noqa: F401
from nte.notifications import models as notification_models  # noqa: F401
from nte.patrols import models as patrol_models  # noqa: F401
from nte.places import models as place_models  # noqa: F401
from nte.reports import models as report_models  # noqa: F401
from nte.safespaces import models as safespace_models  # noqa: F401
from nte.scheduling import models as scheduling_models  # noqa: F401
from nte.venues import models as venue_models  # noqa: F401
from nte.wards import models as ward_models  # noqa: F401

metadata = Base.metadata
