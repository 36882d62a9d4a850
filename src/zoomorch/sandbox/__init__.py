"""A faithful local simulator of the Zoom API (webinars part), served over real HTTP."""

from zoomorch.sandbox.clock import SandboxClock
from zoomorch.sandbox.faults import FaultConfig
from zoomorch.sandbox.server import Sandbox
from zoomorch.sandbox.simulation import Simulation, SimulationSettings
from zoomorch.sandbox.store import SandboxStore

__all__ = ["FaultConfig", "Sandbox", "SandboxClock", "SandboxStore", "Simulation",
           "SimulationSettings"]
